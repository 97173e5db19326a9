import { filledIn } from "../../d1/net-effect.js";
import { existedBefore, flatChanges, ident } from "../../d1/rule.js";
import { defineRule } from "../rule.js";

/** A nullable column becomes NOT NULL (SQLite can only do it by rebuilding the table). */
export default defineRule({
  meta: {
    id: "d1/set-not-null",
    severity: "error",
    summary: "A nullable column of an existing table becomes NOT NULL",
  },
  checkMigration: ({ file }) =>
    flatChanges(file).flatMap((c) => {
      if (c.kind !== "alter-column" || c.before.notNull || !c.after.notNull || !existedBefore(file, c.table)) return [];
      const t = ident(c.table);
      const col = ident(c.after.name);
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
    }),
});
