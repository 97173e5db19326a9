import { defineRule } from "../rule.js";

/** A .sql file in the migrations folder that is not SQL text (binary, invalid UTF-8, unreadable). */
export default defineRule({
  meta: { id: "d1/unreadable-migration", severity: "error", summary: "A migration file is not readable SQL text" },
  checkMigration: ({ file }) =>
    file.unreadable
      ? [
          {
            line: 1,
            message: `${file.name}: ${file.unreadable}; wrangler would send it to D1 as SQL and the migration would fail`,
            fix: `Replace ${file.name} with the SQL text it should hold (save it as UTF-8), or move it out of the migrations folder: wrangler applies every .sql file there.`,
          },
        ]
      : [],
});
