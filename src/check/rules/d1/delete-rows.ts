import { matchesNoRow } from "../../d1/no-row.js";
import { emptyAt } from "../../d1/row-bounds.js";
import { existedBefore, ident, type RuleHit } from "../../d1/rule.js";
import type { Table } from "../../sql/schema.js";
import { tokenize } from "../../sql/tokens.js";
import { defineRule } from "../rule.js";

/** Column names that say which item a row is: a key, a reference, a slug. */
const IDENTITY_NAME = /^(?:id|key|slug|uuid)$|_(?:id|key|slug|uuid)$/i;

/**
 * Whether the WHERE names a column that says which item a row is (the primary key, a unique or foreign key
 * column, or one named like `id`, `*_id`, `key`, `slug`): it removes chosen items (a retired setting, a merged
 * catalogue entry, a plugin's hooks), a deliberate edit, rather than a class of users' rows.
 */
function picksItems(sql: string, table: Table | undefined): boolean {
  const tokens = tokenize(sql, 4000);
  const where = tokens.findIndex((t) => t.depth === 0 && t.kind === "word" && t.value === "WHERE");
  const keys = new Set(
    [
      ...(table?.columns.filter((c) => c.pk > 0).map((c) => c.name) ?? []),
      ...(table?.indexes.filter((i) => i.unique).flatMap((i) => i.columns) ?? []),
      ...(table?.foreignKeys.flatMap((fk) => fk.from) ?? []),
    ].map((c) => c.toLowerCase()),
  );
  return tokens
    .slice(where + 1)
    .some(
      (t) =>
        (t.kind === "word" || t.kind === "ident") && (keys.has(t.text.toLowerCase()) || IDENTITY_NAME.test(t.text)),
    );
}

/** `WHERE … NOT IN (SELECT …)` / `NOT EXISTS (…)`: orphans or duplicates, rows nothing can reach any more. */
const UNREACHABLE = /\bNOT\s+(?:IN\s*\(\s*SELECT\b|EXISTS\s*\()/i;
/** A WHERE against the clock (`expires_at < datetime('now')`): expired rows, a retention cleanup. */
const EXPIRED =
  /\b(?:datetime|date|strftime|julianday|unixepoch)\s*\([^)]*'now'|\bCURRENT_(?:TIMESTAMP|DATE)\b|\bunixepoch\s*\(\s*\)/i;

/**
 * `DELETE FROM notes WHERE is_archived = 1` in a data-only migration: rows production wrote (the table existed
 * before the file, and the code names it or no migration seeded it) are deleted for good. Left alone: a WHERE that
 * picks items by a key, reference or slug column (`picksItems`), orphans and duplicates (`NOT IN (SELECT …)`,
 * `NOT EXISTS`), expired rows (a WHERE against `'now'`), sqlite_sequence, a table the file emptied or created, a WHERE no row can match, and with `--data` a DELETE that
 * deletes nothing there. A DELETE without WHERE is `d1/unbounded-write`'s; in a schema migration,
 * `d1/large-data-change`'s.
 */
export default defineRule({
  meta: {
    id: "d1/delete-rows",
    severity: "warning",
    summary: "A data migration deletes rows production wrote, with no copy kept",
  },
  checkMigration: ({ file, code, dataLabel }) => {
    if (file.classes.has("expand") || file.classes.has("contract")) return [];
    return file.outcomes.flatMap((o, i): RuleHit[] => {
      const stmt = file.statements[i];
      const table = o.target;
      if (!stmt || !table || o.verb !== "delete" || !o.hasWhere || o.error || o.skipped) return [];
      if (!existedBefore(file, table) || emptyAt(file, table, stmt.line) || matchesNoRow(file, i)) return [];
      if (UNREACHABLE.test(stmt.sql) || EXPIRED.test(stmt.sql)) return [];
      if (table.toLowerCase() === "sqlite_sequence" || picksItems(stmt.sql, file.tablesAfter?.get(table.toLowerCase())))
        return [];
      // Rows only migrations wrote (a catalogue they seeded, which the code never names) are theirs to change.
      if (file.seeded?.has(table.toLowerCase()) && code && !code.mentions(table)) return [];
      const rows = file.data?.statements[i]?.rowsChanged;
      if (file.data && rows === 0) return [];
      const t = ident(table);
      const where = stmt.sql
        .replace(/^[\s\S]*?\bWHERE\b/i, "")
        .replace(/;\s*$/, "")
        .trim();
      const counted = rows !== undefined ? ` (${rows} rows on ${dataLabel ?? "--data"})` : "";
      return [
        {
          line: stmt.line,
          message: `DELETE FROM ${table} deletes rows production wrote${counted}, and keeps no copy: once the migration commits they are gone (with every row an ON DELETE CASCADE reaches, and every ON DELETE SET NULL link to them cleared), and only a Time Travel restore of the whole database brings them back, undoing every write made since`,
          fix: `Keep the rows before deleting them, in the same migration: \`CREATE TABLE ${ident(`${table}_deleted`)} AS SELECT * FROM ${t} WHERE ${where};\` (drop it in a later release once nobody asked for them back), or export them first (\`wrangler d1 export\`). Ship it in a release of its own, with no code change, so a rollback never needs these rows.`,
          data: { table, ...(rows !== undefined ? { rows } : {}) },
        },
      ];
    });
  },
});
