import { defineD1Rule } from "../../d1/rule.js";

/** On `--data`, a statement silently deletes or unlinks rows in other tables through foreign key actions. */
export default defineD1Rule({
  meta: {
    id: "d1/rows-lost",
    severity: "error",
    summary: "Replaying on data, a statement deletes rows in other tables through a cascade",
  },
  check: ({ file, dataLabel }) => {
    if (!file.data) return [];
    return file.data.statements.flatMap((o, i) => {
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
          message: `on ${dataLabel ?? "--data"} this ${o.verb.toUpperCase()} of ${o.target ?? "a table"} also loses ${parts.join("; ")}`,
          fix: `If those rows must go, delete them explicitly first (\`DELETE FROM ${o.rowLoss[0]?.table ?? "child"} WHERE …\`) so the migration says so; otherwise narrow the WHERE, or change the statement so it does not delete parent rows (UPDATE instead of REPLACE / DELETE + INSERT).`,
          data: { rowsLost: total, losses: o.rowLoss },
        },
      ];
    });
  },
});
