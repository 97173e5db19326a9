import { ident } from "../../d1/rule.js";
import { defineRule } from "../rule.js";

function fixFor(message: string): string {
  const col = /constraint failed: (\w+)\.(\w+)/.exec(message);
  const t = col?.[1] ? ident(col[1]) : "<table>";
  const c = col?.[2] ? ident(col[2]) : "<column>";
  if (message.includes("UNIQUE"))
    return `De-duplicate first: \`SELECT ${c}, count(*) FROM ${t} GROUP BY ${c} HAVING count(*) > 1;\` shows the clashing rows; deploy code that stops writing duplicates, merge or delete them in a data migration, then add the constraint.`;
  if (message.includes("NOT NULL"))
    return `Backfill first: \`UPDATE ${t} SET ${c} = <value> WHERE rowid IN (SELECT rowid FROM ${t} WHERE ${c} IS NULL LIMIT 1000);\` until 0 rows change, after code that always writes ${c} is live.`;
  if (message.includes("CHECK"))
    return "Find and fix the rows that break the CHECK before the migration that adds it, in a separate data migration.";
  if (message.includes("FOREIGN KEY"))
    return "Delete or re-point the orphaned child rows first, or add the parent rows they reference.";
  return "Make the migration work on production-shaped data: fix the rows it trips on in an earlier data migration.";
}

/** The migration applies to an empty database but fails on `--data`: UNIQUE, NOT NULL, CHECK or foreign keys. */
export default defineRule({
  meta: {
    id: "d1/data-constraint",
    severity: "error",
    summary: "A migration fails on real data: UNIQUE, NOT NULL, CHECK or foreign key constraints",
  },
  checkMigration: ({ file, dataLabel }) => {
    if (!file.data) return [];
    const label = dataLabel ?? "--data";
    const failed = file.data.statements.flatMap((o, i) => {
      const stmt = file.statements[i];
      if (!o.error || !stmt || file.outcomes[i]?.error) return [];
      return [
        {
          line: o.error.line,
          message: `fails on ${label}: ${o.error.message}; it passes on an empty database, so only production would find out`,
          fix: fixFor(o.error.message),
          data: { sqlite: o.error.message },
        },
      ];
    });
    const orphans = file.data.foreignKeyViolations.map((v) => ({
      line: 1,
      message: `leaves ${v.count} row${v.count === 1 ? "" : "s"} of ${v.table} pointing at missing ${v.parent} rows on ${label} (PRAGMA foreign_key_check); D1 rejects the file at COMMIT with "FOREIGN KEY constraint failed"`,
      fix: `Make the parent rows exist before the child rows reference them, or delete the orphans of ${v.table} in an earlier data migration; check with \`PRAGMA foreign_key_check(${ident(v.table)});\`.`,
      data: { table: v.table, parent: v.parent, rows: v.count },
    }));
    return [...failed, ...orphans];
  },
});
