import { conjuncts, equality } from "../../d1/net-effect.js";
import { ident, type RuleHit } from "../../d1/rule.js";
import type { Table } from "../../sql/schema.js";
import { tokenize } from "../../sql/tokens.js";
import { defineRule } from "../rule.js";

const lc = (s: string) => s.toLowerCase();

/** The `column = literal` parts of a statement's top-level WHERE, by column. */
function pinned(sql: string): Map<string, string> {
  const tokens = tokenize(sql, 2000);
  const where = tokens.findIndex((t) => t.depth === 0 && t.kind === "word" && t.value === "WHERE");
  const out = new Map<string, string>();
  if (where < 0) return out;
  const end = tokens.findIndex((t, i) => i > where && t.depth === 0 && t.value === ";");
  for (const part of conjuncts(tokens.slice(where + 1, end < 0 ? undefined : end), 0)) {
    const eq = equality(part);
    if (eq && eq.value !== "NULL") out.set(eq.column, eq.value);
  }
  return out;
}

/** The parent's key column a child's foreign key points at (its PRIMARY KEY when the key names none). */
function parentColumn(parent: Table | undefined, to: string | undefined): string | undefined {
  if (to) return lc(to);
  const pk = parent?.columns.filter((c) => c.pk > 0) ?? [];
  return pk.length === 1 ? lc(pk[0]?.name ?? "") : undefined;
}

/**
 * `DELETE FROM users WHERE id = 'u1'` followed, in the same file, by `UPDATE media SET user_id = 'u2' WHERE user_id =
 * 'u1'` while media's key to users is ON DELETE CASCADE: the DELETE has already removed those media rows, so the
 * UPDATE meant to move them matches none and their data is gone. Run the UPDATEs first.
 */
export default defineRule({
  meta: {
    id: "d1/cascade-before-update",
    severity: "error",
    summary: "A DELETE cascades away the child rows that later statements of the same file mean to move",
  },
  checkMigration: ({ file }) =>
    file.outcomes.flatMap((o, i): RuleHit[] => {
      const stmt = file.statements[i];
      if (!stmt || o.error || o.verb !== "delete" || !o.target || !o.hasWhere) return [];
      const parent = lc(o.target);
      const deleted = pinned(stmt.sql);
      if (deleted.size === 0) return [];
      const later = file.outcomes.flatMap((l, k) => {
        const s = file.statements[k];
        // A later DELETE of the same child rows only repeats what the cascade did; an UPDATE meant to keep them.
        if (k <= i || !s || l.error || l.verb !== "update" || !l.target) return [];
        const child = file.tablesAfter?.get(lc(l.target));
        const by = pinned(s.sql);
        const fk = child?.foreignKeys.find((f) => {
          if (lc(f.table) !== parent || f.onDelete !== "CASCADE" || f.from.length !== 1) return false;
          const to = parentColumn(file.tablesAfter?.get(parent), f.to[0]);
          const value = to === undefined ? undefined : deleted.get(to);
          return value !== undefined && by.get(lc(f.from[0] ?? "")) === value;
        });
        return child && fk ? [{ line: s.line, table: child.name, column: fk.from[0] ?? "" }] : [];
      });
      const first = later[0];
      if (!first) return [];
      const tables = [...new Set(later.map((l) => l.table))];
      const key = [...deleted].map(([c, v]) => `${c} = ${v}`).join(" AND ");
      return [
        {
          line: stmt.line,
          message: `deletes ${o.target} rows where ${key}, and ON DELETE CASCADE deletes their rows in ${tables.join(", ")} with them; the UPDATE at line ${first.line}${later.length > 1 ? ` and ${later.length - 1} more` : ""} that moves those rows by ${first.column} then matches none, so their data is gone`,
          fix: `Move the DELETE after the statements that re-point the children (\`UPDATE ${ident(first.table)} SET ${ident(first.column)} = … WHERE ${ident(first.column)} = …;\` first, then \`DELETE FROM ${ident(o.target)} WHERE ${key};\`), and prove it with \`blastwall check --data <export.sql>\`.`,
          data: { table: o.target, children: tables, lines: later.map((l) => l.line) },
        },
      ];
    }),
});
