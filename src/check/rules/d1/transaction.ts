import { defineRule } from "../rule.js";

/** BEGIN / COMMIT / SAVEPOINT / RELEASE / ROLLBACK in a migration: remote D1 rejects them. */
export default defineRule({
  meta: {
    id: "d1/transaction",
    severity: "error",
    summary: "BEGIN, COMMIT or SAVEPOINT in a migration (remote D1 rejects them)",
  },
  checkMigration: ({ file }) =>
    file.outcomes.flatMap((o, i) => {
      const stmt = file.statements[i];
      if (o.skipped !== "transaction" || !stmt) return [];
      const first = stmt.sql.split(/\s+/)[0]?.toUpperCase() ?? "BEGIN";
      return [
        {
          line: stmt.line,
          column: stmt.column,
          message: `${first} in a migration: it works locally, but remote D1 rejects transaction statements and the migration fails in production`,
          fix: `Delete the ${first} statement: D1 already applies each migration file atomically. If the file needs foreign keys checked only at the end, use \`PRAGMA defer_foreign_keys = on;\` at its top instead.`,
        },
      ];
    }),
});
