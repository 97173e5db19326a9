import { emptyAt } from "../../d1/row-bounds.js";
import { ident } from "../../d1/rule.js";
import { defineRule } from "../rule.js";

const lc = (s: string) => s.toLowerCase();

/**
 * `INSERT INTO t SELECT * FROM t_old` pairs columns by position, not by name. When the two tables list the same
 * columns in another order (a rebuild that added a column in the middle, a backup made before a column moved),
 * every row's values land in the wrong columns, silently when the types allow it. The replay asks SQLite for both
 * column lists on the schema the statement runs on.
 */
export default defineRule({
  meta: {
    id: "d1/copy-column-order",
    severity: "error",
    summary: "An INSERT … SELECT * copies by position into a table whose columns are in another order",
  },
  checkMigration: ({ file }) =>
    file.statements.flatMap((stmt, i) => {
      const o = file.outcomes[i];
      const copy = o?.starCopy;
      if (!o || o.error || !copy || copy.from.length !== copy.into.length) return [];
      const into = copy.into.map(lc);
      const moved = copy.from.flatMap((name, k) => {
        const at = into.indexOf(lc(name));
        return at >= 0 && at !== k ? [{ name, lands: copy.into[k] ?? "" }] : [];
      });
      const source = copy.tables[0];
      // Rows exist only where a source can hold them; a table this file made and left empty copies none.
      if (moved.length === 0 || source === undefined || copy.tables.every((t) => emptyAt(file, t, stmt.line)))
        return [];
      const target = o.target ?? "";
      const shown = moved
        .slice(0, 4)
        .map((m) => `${source}.${m.name} lands in ${target}.${m.lands}`)
        .join(", ");
      const more = moved.length > 4 ? ` and ${moved.length - 4} more` : "";
      return [
        {
          line: stmt.line,
          message: `copies ${source} into ${target} by position, but the columns are in another order: ${shown}${more}. Every copied row gets its values in the wrong columns (silently where the types allow it)`,
          fix: `Name the columns on both sides so they pair by name: \`INSERT INTO ${ident(target)} (${copy.into.map(ident).join(", ")}) SELECT ${copy.into.map(ident).join(", ")} FROM ${ident(source)};\` (list only the columns ${source} has, and give the others a value).`,
          data: { table: source, target, moved: moved.map((m) => m.name) },
        },
      ];
    }),
});
