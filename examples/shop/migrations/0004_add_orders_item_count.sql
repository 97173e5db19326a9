-- Expand step: a nullable column, so code that does not know it keeps working. New orders write it
-- (shop-api orders.ts); existing rows are filled by the resumable backfill in shop-api backfill.ts.
-- Contract (NOT NULL, dropping the fallback) comes in a later migration, after the backfill reports done.
ALTER TABLE orders ADD COLUMN item_count INTEGER;
