import { defineRule } from "../rule.js";

/** A statement writes d1_migrations or a sqlite_* table, or names a _cf_* table (D1's own). */
export default defineRule({
  meta: {
    id: "d1/reserved-table",
    severity: "error",
    summary: "A migration touches d1_migrations, sqlite_* or _cf_* tables",
  },
  checkMigration: ({ file }) =>
    file.outcomes.flatMap((o, i) => {
      const stmt = file.statements[i];
      if (!o.reserved || !stmt) return [];
      const name = o.reserved;
      const cf = /^_cf_/i.test(name);
      // A plain SELECT only reads: D1 serves sqlite_master and the migrations table; it refuses only _cf_* access.
      if (o.verb === "select" && !cf) return [];
      // Rows of sqlite_sequence (AUTOINCREMENT counters) are writable in SQLite and on D1 (workerd's D1 allows it).
      if (/^sqlite_sequence$/i.test(name) && ["insert", "update", "delete", "replace"].includes(o.verb)) return [];
      const isMigrations = !/^(sqlite_|_cf_)/i.test(name);
      return [
        {
          line: stmt.line,
          column: stmt.column,
          message: isMigrations
            ? `touches ${name}, wrangler's record of applied migrations; editing it makes D1 skip or re-run migrations`
            : `touches ${name}, a table that ${cf ? "D1 reserves for itself (remote D1 rejects access to _cf_* tables)" : "SQLite manages itself; D1 rejects writes to it"}`,
          fix: isMigrations
            ? `Leave ${name} to \`wrangler d1 migrations apply\`. To re-run a migration, write a new one; to mark one applied by hand, do it once with \`wrangler d1 execute\`, outside the migrations folder.`
            : `Remove the statement; keep migrations to your own tables.`,
          data: { table: name },
        },
      ];
    }),
});
