import { defineD1Rule, existedBefore, ident } from "../../d1/rule.js";

/**
 * DROP TABLE on a parent (a rebuild's drop, or a plain drop) fires ON DELETE CASCADE / SET NULL in its children:
 * on D1, foreign keys are always enforced and PRAGMA foreign_keys = OFF is ignored inside the migration's
 * transaction, so the child rows are deleted (or unlinked). The top cause of D1 data loss.
 */
export default defineD1Rule({
  meta: {
    id: "d1/rebuild-cascade",
    severity: "error",
    summary: "Dropping or rebuilding a table fires ON DELETE CASCADE / SET NULL in the tables that reference it",
  },
  check: ({ file, dataLabel }) => {
    const hits = [];
    for (let i = 0; i < file.outcomes.length; i++) {
      const o = file.outcomes[i];
      const stmt = file.statements[i];
      if (!o || !stmt || o.verb !== "drop-table" || o.cascades.length === 0 || o.error) continue;
      const parent = o.target ?? "";
      if (!existedBefore(file, parent)) continue;
      const rebuilt = file.changes.find((c) => c.kind === "modify-table" && c.dropLine === stmt.line);
      const losses = file.data?.statements[i]?.rowLoss;
      const what = rebuilt ? `the rebuild of ${rebuilt.table} drops ${parent}` : `DROP TABLE ${parent}`;
      const effects = o.cascades.map((c) => {
        const loss = losses?.find((l) => l.table === c.table && l.fk === c.fk);
        const via = c.path.length > 2 ? ` (via ${c.path.join(" → ")})` : "";
        const verb = c.action === "CASCADE" ? "deletes" : "unlinks";
        const count = losses ? `${loss?.rows ?? 0} rows of ${c.table}` : `every row of ${c.table}`;
        return `${verb} ${count} through ${c.fk}${via}`;
      });
      const counted = losses ? losses.reduce((n, l) => n + l.rows, 0) : undefined;
      const children = [...new Set(o.cascades.map((c) => c.table))];
      const t = ident(children[0] ?? "child");
      hits.push({
        line: stmt.line,
        message: `${what}, and on D1 that ${effects.join("; ")}${losses ? ` (replayed on ${dataLabel ?? "--data"})` : " (run with --data to count the rows)"}`,
        fix: `On D1 the implicit DELETE of DROP TABLE always fires foreign key actions; PRAGMA foreign_keys = OFF is ignored inside the migration and defer_foreign_keys does not stop cascades. Prefer ALTER TABLE ${ident(parent)} ADD/RENAME/DROP COLUMN over a rebuild. If you must rebuild, keep the children's rows: \`PRAGMA defer_foreign_keys = on; CREATE TABLE ${ident(`${children[0] ?? "child"}_keep`)} AS SELECT * FROM ${t};\` before the DROP, then after the rename \`INSERT INTO ${t} SELECT * FROM ${ident(`${children[0] ?? "child"}_keep`)}; DROP TABLE ${ident(`${children[0] ?? "child"}_keep`)};\` (the same for ${children.join(", ")}), and check it with \`blastwall check --data <export.sql>\`.`,
        data: {
          table: parent,
          children,
          cascades: o.cascades,
          ...(counted !== undefined ? { rowsLost: counted } : {}),
        },
      });
    }
    return hits;
  },
});
