import { describe, expect, it } from "vitest";
import { hitsAfterBase } from "../../d1/testing.js";

const RULE = "d1/shell-substitution";

describe(RULE, () => {
  it("flags command substitution and upper-case environment variables, at their line", async () => {
    const template = `UPDATE orders
SET status = (
  SELECT '$(cat templates/receipt.html | sed "s/'/'''/g")'
)
WHERE id = 1;
INSERT INTO order_items (order_id, sku) VALUES (1, '\${DEFAULT_SKU}');
INSERT INTO order_items (order_id, sku) VALUES (1, '$ADMIN_SKU');`;
    expect(await hitsAfterBase(RULE, template)).toEqual([
      `${RULE}@0002_change.sql:3`,
      `${RULE}@0002_change.sql:6`,
      `${RULE}@0002_change.sql:7`,
    ]);
  });

  it("does not flag an app's own placeholders, jQuery-like text, prices or comments", async () => {
    const sql = `-- generated with $(date +%s) by the release script
INSERT INTO order_items (order_id, sku) VALUES (1, 'Hello \${name}, your {{ORDER_ID}} is ready');
INSERT INTO order_items (order_id, sku) VALUES (2, '$(''#cart'').show()');
INSERT INTO order_items (order_id, sku) VALUES (3, 'costs $5 or $Total');`;
    expect(await hitsAfterBase(RULE, sql)).toEqual([]);
  });
});
