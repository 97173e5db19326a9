import { existedBefore, flatChanges, ident } from "../../d1/rule.js";
import { defineRule } from "../rule.js";

/** A NOT NULL column without a default on an existing table: fine on an empty database, fails on a real one. */
export default defineRule({
  meta: {
    id: "d1/add-not-null-column",
    severity: "error",
    summary: "A NOT NULL column without a default is added to an existing table",
  },
  checkMigration: ({ file }) =>
    flatChanges(file).flatMap((c) => {
      if (c.kind !== "add-column" || !c.column.notNull || c.column.default !== null || c.column.pk > 0) return [];
      if (!existedBefore(file, c.table)) return [];
      const t = ident(c.table);
      const col = ident(c.column.name);
      const type = c.column.type || "TEXT";
      return [
        {
          line: c.line,
          message: c.viaRebuild
            ? `the rebuild of ${c.table} adds ${c.column.name} ${type} NOT NULL without a default; the running version's INSERTs do not set it and fail with "NOT NULL constraint failed: ${c.table}.${c.column.name}"`
            : `adds ${c.table}.${c.column.name} ${type} NOT NULL without a default; it passes on an empty database but fails with "Cannot add a NOT NULL column with default value NULL" on every production table that has rows`,
          fix: `Add it nullable or with a default: \`ALTER TABLE ${t} ADD COLUMN ${col} ${type} NOT NULL DEFAULT <value>;\` or \`ALTER TABLE ${t} ADD COLUMN ${col} ${type};\`, deploy code that always writes ${c.column.name}, backfill the old rows in batches, and enforce NOT NULL in the application (or in a later rebuild once no NULLs remain).`,
          data: { table: c.table, column: c.column.name },
        },
      ];
    }),
});
