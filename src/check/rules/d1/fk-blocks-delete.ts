import { tablesNamed } from "../../d1/code-queries.js";
import { existedBefore, flatChanges, ident, referenceLine } from "../../d1/rule.js";
import { insertValues } from "../../sql/insert-values.js";
import type { Column, ForeignKey } from "../../sql/schema.js";
import { defineRule } from "../rule.js";

const lc = (s: string) => s.toLowerCase();
const BLOCKING = new Set(["NO ACTION", "RESTRICT", ""]);

/**
 * Whether an INSERT into the child can give a row a key to the parent. A `VALUES` list that leaves every key column
 * out (with no default) or writes NULL into it cannot; any other statement may.
 */
function mayHoldKey(sql: string, from: readonly string[], column: (name: string) => Column | undefined): boolean {
  const v = insertValues(sql);
  if (!v) return true;
  const cols = v.columns.map(lc);
  return from.some((name) => {
    const at = cols.indexOf(lc(name));
    if (at < 0) {
      const d = column(name)?.default;
      return d !== undefined && d !== null && d.toUpperCase() !== "NULL";
    }
    return v.rows.some((row) => {
      const item = row[at] ?? [];
      return !(item.length === 1 && item[0]?.value === "NULL");
    });
  });
}

/**
 * A migration gives an existing table a new child whose foreign key has no `ON DELETE` action (NO ACTION or
 * RESTRICT), while the Worker's code deletes rows of that parent and never of the child. D1 enforces foreign keys:
 * once a parent row has a child, the code's DELETE fails with "FOREIGN KEY constraint failed".
 */
export default defineRule({
  meta: {
    id: "d1/fk-blocks-delete",
    severity: "warning",
    summary: "A new foreign key without ON DELETE makes the code's deletes of the parent fail once children exist",
  },
  checkMigration: ({ file, code }) => {
    if (!code) return [];
    // One finding per new child and parent: its columns together.
    const added = new Map<string, { child: string; fk: ForeignKey; from: string[]; line: number }>();
    const add = (child: string, fk: ForeignKey, line: number) => {
      const key = `${lc(child)}\0${lc(fk.table)}`;
      const seen = added.get(key);
      if (seen) seen.from.push(...fk.from);
      else added.set(key, { child, fk, from: [...fk.from], line });
    };
    for (const c of flatChanges(file)) {
      const fks = c.kind === "create-table" && !file.recreated?.has(lc(c.table)) ? c.after.foreignKeys : [];
      for (const fk of c.kind === "add-foreign-key" ? [c.fk] : fks)
        if (BLOCKING.has(fk.onDelete.toUpperCase())) add(c.table, fk, c.line);
    }
    return [...added.values()].flatMap(({ child, fk, from, line }) => {
      const parent = fk.table;
      if (lc(parent) === lc(child) || !existedBefore(file, parent)) return [];
      // A delete that code clears the children for just before, or catches the failure of, is not reported.
      const deletes = code.deletesFrom(parent, child);
      if (!deletes) return [];
      // Rows come only from code or migrations: a child that no migration so far writes a key into (a seed that leaves
      // the key NULL gives no row that can block), and that the deployed
      // code never names, or never writes with its own SQL while it reads it so, or never hands to a query builder
      // while it queries others with SQL, never holds one.
      const written =
        file.seeded?.has(lc(child)) ||
        file.outcomes.some(
          (o, i) =>
            (o.verb === "insert" || o.verb === "replace") &&
            lc(o.target ?? "") === lc(child) &&
            mayHoldKey(file.statements[i]?.sql ?? "", from, (name) =>
              file.tableAfter?.(child)?.columns.find((c) => lc(c.name) === lc(name)),
            ),
        );
      const readOnly = () => {
        if (code.writesTo(child)) return false;
        const { queries } = code.queries();
        return (
          queries.some((q) => tablesNamed(q.sql).includes(lc(child))) || (queries.length > 0 && !code.buildsOn(child))
        );
      };
      if (!written && code.wholeCode() && (!code.mentions(child) || readOnly())) return [];
      const cols = from.join(", ");
      return [
        {
          line: referenceLine(file, line, parent),
          message: `gives ${parent} a new child, ${child} (${cols}) REFERENCES ${parent}, with no ON DELETE action, and the Worker's code deletes from ${parent} (${deletes.file}:${deletes.line}) without clearing ${child} first: once a ${parent} row has a ${child} row, that DELETE fails with "FOREIGN KEY constraint failed", in the running version and the new one`,
          fix: `Say what happens to the children, on each of ${child}'s keys to ${parent}: \`FOREIGN KEY (${ident(from[0] ?? "")}) REFERENCES ${ident(parent)} ON DELETE CASCADE\` (or ON DELETE SET NULL on a nullable column, to keep them), or have the code delete the ${child} rows in the same \`batch()\`, before the ${parent} row.`,
          data: { table: child, parent, columns: from, code: `${deletes.file}:${deletes.line}` },
        },
      ];
    });
  },
});
