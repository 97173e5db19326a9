import { keptChildren } from "../../d1/kept-children.js";
import { droppedInFile } from "../../d1/net-effect.js";
import { emptyAt } from "../../d1/row-bounds.js";
import { existedBefore, ident, type RuleHit } from "../../d1/rule.js";
import type { Cascade } from "../../sql/replay.js";
import { defineRule } from "../rule.js";

/** The statements that keep child rows through a parent's rebuild, with the user's tables and columns. */
function keepRecipe(cascades: readonly Cascade[]): { save: string; restore: string; cleanup: string } {
  const keep = (t: string) => ident(`${t}_keep`);
  const save: string[] = [];
  const restore: string[] = [];
  const tables = new Set<string>();
  for (const c of cascades) {
    const t = ident(c.table);
    if (tables.has(c.table)) continue;
    tables.add(c.table);
    if (c.action === "CASCADE") {
      save.push(`CREATE TABLE ${keep(c.table)} AS SELECT * FROM ${t};`);
      restore.push(`INSERT INTO ${t} SELECT * FROM ${keep(c.table)};`);
    } else {
      const cols = c.columns.map(ident);
      save.push(`CREATE TABLE ${keep(c.table)} AS SELECT rowid AS keep_rowid, ${cols.join(", ")} FROM ${t};`);
      const sets = cols.map(
        (col) => `${col} = (SELECT k.${col} FROM ${keep(c.table)} k WHERE k.keep_rowid = ${t}.rowid)`,
      );
      restore.push(`UPDATE ${t} SET ${sets.join(", ")} WHERE rowid IN (SELECT keep_rowid FROM ${keep(c.table)});`);
    }
  }
  const cleanup = [...tables].map((t) => `DROP TABLE ${keep(t)};`).join(" ");
  return { save: save.join(" "), restore: restore.join(" "), cleanup };
}

/**
 * DROP TABLE on a parent (a rebuild's drop, or a plain drop) fires ON DELETE CASCADE / SET NULL in its children:
 * on D1, foreign keys are always enforced and PRAGMA foreign_keys = OFF is ignored inside the migration's
 * transaction, so the child rows are deleted (or unlinked). The top cause of D1 data loss.
 */
export default defineRule({
  meta: {
    id: "d1/rebuild-cascade",
    severity: "error",
    summary: "Dropping or rebuilding a table fires ON DELETE CASCADE / SET NULL in the tables that reference it",
  },
  checkMigration: ({ file, dataLabel }) => {
    const hits: RuleHit[] = [];
    // A child this file drops anyway loses its rows to that DROP (d1/drop-table), not to the cascade.
    const gone = droppedInFile(file);
    // A child saved whole before the DROP and put back whole after it keeps its rows.
    const kept = new Set(keptChildren(file).map((k) => `${k.dropLine}:${k.child}`));
    file.outcomes.forEach((o, i) => {
      const stmt = file.statements[i];
      if (!stmt || o.verb !== "drop-table" || o.error) return;
      // A table on the cascade's path (the parent, a link, the child) that the file emptied first: nothing to reach.
      const reached = (c: Cascade) => !c.path.some((t) => emptyAt(file, t, stmt.line));
      const parent = o.target ?? "";
      // A self-reference cascades only inside the table being dropped, whose rows are gone (or copied) anyway.
      const cascades = o.cascades.filter(
        (c) =>
          c.table.toLowerCase() !== parent.toLowerCase() &&
          !gone.has(c.table.toLowerCase()) &&
          !kept.has(`${stmt.line}:${c.table.toLowerCase()}`) &&
          reached(c),
      );
      if (cascades.length === 0) return;
      // A table the file drops and creates again (saving its rows aside) existed before: its children hold rows.
      if (!existedBefore(file, parent) && !file.recreated?.has(parent.toLowerCase())) return;
      const rebuilt = file.changes.find((c) => c.kind === "modify-table" && c.dropLine === stmt.line);
      const losses = file.data?.statements[i]?.rowLoss;
      const what = rebuilt ? `the rebuild of ${rebuilt.table} drops ${parent}` : `DROP TABLE ${parent}`;
      const effects = cascades.map((c) => {
        const n = losses?.find((l) => l.table === c.table && l.fk === c.fk)?.rows ?? 0;
        const via = c.path.length > 2 ? ` (via ${c.path.join(" → ")})` : "";
        const verb = c.action === "CASCADE" ? "deletes" : "unlinks";
        const count = losses ? `${n} row${n === 1 ? "" : "s"} of ${c.table}` : `every row of ${c.table}`;
        return `${verb} ${count} through ${c.fk}${via}`;
      });
      const rowsLost = losses?.reduce((n, l) => n + l.rows, 0);
      const children = [...new Set(cascades.map((c) => c.table))];
      // A CASCADE child saved and restored whole is recognised; a SET NULL child's UPDATE restore is not.
      const unlinked = [...new Set(cascades.filter((c) => c.action !== "CASCADE").map((c) => c.table))];
      const { save, restore, cleanup } = keepRecipe(cascades);
      hits.push({
        line: stmt.line,
        message: `${what}, and on D1 that ${effects.join("; ")}${losses ? ` (replayed on ${dataLabel ?? "--data"})` : " (run with --data to count the rows)"}`,
        fix: `On D1 the implicit DELETE of DROP TABLE always fires foreign key actions: PRAGMA foreign_keys = OFF is ignored inside the migration and defer_foreign_keys does not stop cascades. Prefer ALTER TABLE ${ident(parent)} ADD/RENAME/DROP COLUMN over a rebuild. If you must rebuild, keep the children's rows in the same file: start with \`PRAGMA defer_foreign_keys = on;\`, before the DROP run \`${save}\`, after the rename run \`${restore}\` then \`${cleanup}\`, and prove it with \`blastwall check --data <export.sql>\`${unlinked.length > 0 ? `; the SET NULL restore is not recognised, so mark the DROP with \`-- blastwall-ignore d1/rebuild-cascade: ${unlinked.join(", ")} kept in *_keep\`` : ""}.`,
        data: { table: parent, children, cascades: cascades, ...(rowsLost !== undefined ? { rowsLost } : {}) },
      });
    });
    return hits;
  },
});
