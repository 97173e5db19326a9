import { defineRule } from "../rule.js";

/** A migration file with no statements: wrangler still records it as applied. */
export default defineRule({
  meta: { id: "d1/empty-migration", severity: "info", summary: "A migration file holds no SQL statements" },
  checkMigration: ({ file }) =>
    !file.unreadable && file.statements.length === 0 && file.problems.length === 0
      ? [
          {
            line: 1,
            message: `${file.name} holds no SQL statements; wrangler records it as applied and it can never be filled in later`,
            fix: `Delete ${file.name} if it was created by mistake, or write its statements before anyone applies it.`,
          },
        ]
      : [],
});
