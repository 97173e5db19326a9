import { flatChanges, ident } from "../../d1/rule.js";
import { defineRule } from "../rule.js";

const lc = (s: string) => s.toLowerCase();

/**
 * A migration adds a column that the Workers' own code also adds at runtime (`ALTER TABLE … ADD COLUMN` in a
 * self-migration at startup). Wherever the code ran first, production already has the column, and SQLite refuses
 * the migration with "duplicate column name": the file rolls back and every later migration waits behind it.
 */
export default defineRule({
  meta: {
    id: "d1/duplicate-column",
    severity: "error",
    summary: "A migration adds a column that the Worker's code already adds at runtime",
  },
  checkMigration: ({ file, code }) => {
    if (!code) return [];
    const adds = code.columnAdds();
    if (adds.length === 0) return [];
    const dupes = flatChanges(file).flatMap((c) => {
      if (c.kind !== "add-column" || c.viaRebuild) return [];
      const same = adds.find((a) => lc(a.table) === lc(c.table) && lc(a.column) === lc(c.column.name));
      return same ? [{ table: c.table, column: c.column.name, line: c.line, code: same }] : [];
    });
    const [first] = dupes;
    if (!first) return [];
    // The file fails at its first duplicate: one finding, at that line, naming them all.
    const names = dupes.map((d) => `${d.table}.${d.column} (${d.code.file}:${d.code.line})`).join(", ");
    const alters = dupes.map((d) => `\`ALTER TABLE ${ident(d.table)} ADD COLUMN ${ident(d.column)}\``).join(", ");
    return [
      {
        line: first.line,
        message: `adds ${dupes.length === 1 ? "a column" : `${dupes.length} columns`} that the Worker's code also adds at runtime: ${names}; on a database where that code ran first, SQLite refuses this migration with "duplicate column name", so the file rolls back and every later migration waits behind it`,
        fix: `Let one of them own ${dupes.length === 1 ? "the column" : "the columns"}. Keep the migration and delete the runtime ${alters} from the code; on databases where the code already added ${dupes.length === 1 ? "it" : "them"}, record this migration as applied (\`INSERT INTO d1_migrations (name) VALUES ('${file.name}')\`) after checking they match. Or drop the statements from the migration and keep the runtime ones.`,
        data: {
          table: first.table,
          columns: dupes.map((d) => `${d.table}.${d.column}`),
          code: `${first.code.file}:${first.code.line}`,
        },
      },
    ];
  },
});
