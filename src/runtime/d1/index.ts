export {
  type Backfill,
  type BackfillBatch,
  BackfillConflictError,
  type BackfillProgress,
  type BackfillReport,
  backfillProgress,
  type RunBackfillOptions,
  runBackfill,
} from "./backfill.js";
export { type BatchLimits, type InsertBatchesOptions, inChunks, insertBatches } from "./batch.js";
export {
  MAX_BOUND_PARAMS,
  MAX_STATEMENT_BYTES,
  Sql,
  SqlIdentifier,
  type SqlValue,
  sql,
  statementBytes,
} from "./sql.js";
