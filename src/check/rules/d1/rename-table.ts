import { runningVersion } from "../../d1/code-mentions.js";
import { existedBefore, ident } from "../../d1/rule.js";
import { defineRule } from "../rule.js";

/** ALTER TABLE … RENAME TO on a table that code uses (rebuilds are reported as modify-table, not here). */
export default defineRule({
  meta: { id: "d1/rename-table", severity: "error", summary: "A migration renames a table that code may still use" },
  checkMigration: ({ file, code }) =>
    file.changes.flatMap((c) => {
      if (c.kind !== "rename-table" || !existedBefore(file, c.from)) return [];
      const running = runningVersion(code, c.from, `queries on ${c.from} fail until the new code is live`, {
        alsoNamed: [c.table],
      });
      const from = ident(c.from);
      const to = ident(c.table);
      return [
        {
          line: c.line,
          message: `renames table ${c.from} to ${c.table}; ${running.clause}`,
          fix: `Expand/contract instead: 1) \`CREATE TABLE ${to} (…same columns…);\` 2) deploy code that writes to both ${c.from} and ${c.table} and reads ${c.table} falling back to ${c.from}; 3) backfill in batches: \`INSERT INTO ${to} SELECT * FROM ${from} WHERE rowid NOT IN (SELECT rowid FROM ${to}) LIMIT 1000;\` until 0 rows; 4) deploy code that only uses ${c.table}; 5) later, \`DROP TABLE ${from};\`. Or keep the old name with \`CREATE VIEW ${from} AS SELECT * FROM ${to};\` for readers during the switch.`,
          data: { from: c.from, to: c.table, namedInCode: !running.unused },
          ...(running.unused ? { severity: "info" as const } : {}),
        },
      ];
    }),
});
