import { sortMigrations } from "../../../core/migration-order.js";
import type { RuleMeta } from "../../findings.js";
import { defineRule } from "../rule.js";

export const meta: RuleMeta = {
  id: "d1/order-depends-on-wrangler",
  severity: "warning",
  summary: "Unevenly padded numbers: wrangler before and after 4.98 apply the migrations in different orders",
};

/** `9_x.sql` and `10_y.sql`: wrangler 4.80–4.97 sorts names as text, 4.98+ by number. */
export default defineRule({
  meta,
  checkFolder({ names }) {
    const text = sortMigrations(names, { order: "lexical" });
    const numeric = sortMigrations(names, { order: "numeric" });
    const at = numeric.findIndex((n, i) => text[i] !== n);
    if (at < 0) return [];
    const name = numeric[at] ?? "";
    const other = text[at] ?? "";
    return [
      {
        name,
        line: 1,
        message: `wrangler 4.98 and later apply ${name} at position ${at + 1}, wrangler 4.80–4.97 apply ${other} there: the same history runs in different orders depending on the wrangler that applies it`,
        fix: `pin wrangler to 4.98 or later in package.json everywhere migrations are applied, and pad new migration numbers to the same width (e.g. 0010_…)`,
        data: { numericOrder: numeric, textOrder: text },
      },
    ];
  },
});
