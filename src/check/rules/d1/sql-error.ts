import { defineRule } from "../rule.js";

/** A statement that SQLite rejects while replaying the migration history on an empty database. */
export default defineRule({
  meta: { id: "d1/sql-error", severity: "error", summary: "A migration's SQL fails to apply" },
  checkMigration: ({ file }) => [
    ...file.problems.map((p) => ({
      line: p.line,
      column: p.column,
      message: `${p.message}: the rest of the file is one unfinished token and wrangler would send it all as one broken statement`,
      fix: "Close the quote or comment (a quote inside a string is written twice: 'it''s').",
    })),
    // Failures on a table made outside migrations are d1/missing-base-schema's, once per table.
    ...file.outcomes.flatMap((o, i) =>
      o.error && !file.missingBase?.some((m) => m.index === i)
        ? [
            {
              line: o.error.line,
              message: `SQLite rejects this statement: ${o.error.message}`,
              fix: `Fix the statement and try it with \`wrangler d1 migrations apply <db> --local\`; D1 rolls back the whole file when one statement fails.`,
              data: { sqlite: o.error.message, ...(o.error.code ? { code: o.error.code } : {}) },
            },
          ]
        : [],
    ),
  ],
});
