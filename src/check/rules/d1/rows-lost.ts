import { ident, type RuleHit } from "../../d1/rule.js";
import { defineRule } from "../rule.js";

/**
 * On `--data`, rows disappear as a side effect: a statement deletes or unlinks rows in other tables through
 * foreign key actions, or a rebuild's copy keeps fewer rows than the table had.
 */
export default defineRule({
  meta: {
    id: "d1/rows-lost",
    severity: "error",
    summary: "Replaying on data, rows are lost through a cascade or a rebuild that copies fewer rows",
  },
  checkMigration: ({ file, dataLabel }) => {
    const data = file.data;
    if (!data) return [];
    const label = dataLabel ?? "--data";
    const hits: RuleHit[] = data.statements.flatMap((o, i) => {
      const stmt = file.statements[i];
      // DROP TABLE cascades are reported by d1/rebuild-cascade with their counts.
      if (!stmt || o.verb === "drop-table" || o.rowLoss.length === 0) return [];
      const parts = o.rowLoss.map(
        (l) =>
          `${l.rows} row${l.rows === 1 ? "" : "s"} of ${l.table} ${l.action === "CASCADE" ? "deleted" : "unlinked"} by ${l.fk}`,
      );
      const total = o.rowLoss.reduce((n, l) => n + l.rows, 0);
      return [
        {
          line: stmt.line,
          column: stmt.column,
          message: `on ${label} this ${o.verb.toUpperCase()} of ${o.target ?? "a table"} also loses ${parts.join("; ")}`,
          fix: `If those rows must go, delete them explicitly first (\`DELETE FROM ${ident(o.rowLoss[0]?.table ?? "child")} WHERE …\`) so the migration says so; otherwise narrow the WHERE, or change the statement so it does not delete parent rows (UPDATE, or INSERT … ON CONFLICT DO UPDATE instead of REPLACE).`,
          data: { rowsLost: total, losses: o.rowLoss },
        },
      ];
    });
    for (const c of file.changes) {
      if (c.kind !== "modify-table") continue;
      const at = file.statements.findIndex(
        (s, i) => s.line === c.dropLine && data.statements[i]?.verb === "drop-table",
      );
      const before = data.statements[at]?.droppedRows;
      const after = data.rowsAfter[c.table.toLowerCase()];
      if (before === undefined || after === undefined || after >= before) continue;
      const t = ident(c.table);
      hits.push({
        line: c.line,
        message: `the rebuild of ${c.table} keeps ${after} of its ${before} rows on ${label}: ${before - after} row${before - after === 1 ? " is" : "s are"} lost by the copy (a WHERE, a JOIN, or INSERT OR IGNORE skipping rows)`,
        fix: `Copy every row: \`INSERT INTO <new table> SELECT … FROM ${t};\` without a filter, and fix rows that would not fit the new table in an earlier data migration; compare \`SELECT count(*) FROM ${t}\` before and after.`,
        data: { table: c.table, rowsBefore: before, rowsAfter: after, rowsLost: before - after },
      });
    }
    return hits;
  },
});
