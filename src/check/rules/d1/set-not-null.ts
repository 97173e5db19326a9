import { filledIn } from "../../d1/net-effect.js";
import { existedBefore, flatChanges, ident, type RuleHit } from "../../d1/rule.js";
import type { Table } from "../../sql/schema.js";
import { defineRule } from "../rule.js";

/** The column is the table's rowid alias (a lone INTEGER PRIMARY KEY, no separate key index): never NULL. */
function isRowidAlias(table: Table, column: string): boolean {
  const key = table.columns.filter((c) => c.pk > 0);
  return (
    key.length === 1 &&
    key[0]?.name.toLowerCase() === column.toLowerCase() &&
    key[0].type.toUpperCase() === "INTEGER" &&
    !table.indexes.some((ix) => ix.origin === "pk")
  );
}

const hasValueDefault = (d: string | null) => d !== null && !/^null$/i.test(d.trim());

/** A nullable column becomes NOT NULL (SQLite can only do it by rebuilding the table). */
export default defineRule({
  meta: {
    id: "d1/set-not-null",
    severity: "error",
    summary: "A nullable column of an existing table becomes NOT NULL",
  },
  checkMigration: ({ file }) => {
    const rebuilt = new Map<string, Table>();
    for (const c of file.changes) if (c.kind === "modify-table") rebuilt.set(c.table.toLowerCase(), c.before);
    return flatChanges(file).flatMap((c): RuleHit[] => {
      if (c.kind !== "alter-column" || c.before.notNull || !c.after.notNull || !existedBefore(file, c.table)) return [];
      // The old rowid alias held a value in every row, so neither the copy nor a write that keeps it can be NULL.
      const old = rebuilt.get(c.table.toLowerCase());
      if (old && isRowidAlias(old, c.before.name)) return [];
      const t = ident(c.table);
      const col = ident(c.after.name);
      // A column that had a non-NULL DEFAULT and keeps one: writes that leave it out never stored NULL, and do not
      // fail now. Only rows where code wrote NULL on purpose can break the copy.
      if (hasValueDefault(c.before.default) && hasValueDefault(c.after.default))
        return [
          {
            line: c.line,
            severity: "info" as const,
            message: `makes ${c.table}.${c.after.name} NOT NULL; it had DEFAULT ${c.before.default} and keeps DEFAULT ${c.after.default}, so only rows where code wrote NULL explicitly can make the copy fail`,
            fix: `Check \`SELECT count(*) FROM ${t} WHERE ${col} IS NULL\` is 0 on production (or run \`blastwall check --data <export.sql>\`).`,
            data: { table: c.table, column: c.after.name, defaulted: true },
          },
        ];
      // An UPDATE earlier in this file filled every NULL in: the copy cannot fail on them.
      const filled = filledIn(file, c.table, c.after.name, c.line);
      const copy = filled
        ? `this file fills in its NULLs first, so the copy succeeds, but`
        : "the copy fails on any row where it is NULL, and";
      return [
        {
          line: c.line,
          message: `makes ${c.table}.${c.after.name} NOT NULL; ${copy} the running version's writes that leave it out fail with "NOT NULL constraint failed: ${c.table}.${c.after.name}"`,
          fix: `First deploy code that always writes ${c.after.name}, then backfill in batches: \`UPDATE ${t} SET ${col} = <value> WHERE rowid IN (SELECT rowid FROM ${t} WHERE ${col} IS NULL LIMIT 1000);\` until 0 rows change. Check \`SELECT count(*) FROM ${t} WHERE ${col} IS NULL\` is 0 on production, then rebuild with NOT NULL${c.after.default === null ? " and a DEFAULT" : ""} in its own migration.`,
          data: { table: c.table, column: c.after.name, filledIn: filled },
        },
      ];
    });
  },
});
