import { defineD1Rule, existedBefore, ident } from "../../d1/rule.js";

/** DROP TABLE of a table that existed before this migration: the running code may still read or write it. */
export default defineD1Rule({
  meta: { id: "d1/drop-table", severity: "error", summary: "A migration drops a table that code may still use" },
  check: ({ file }) =>
    file.changes.flatMap((c) =>
      c.kind === "drop-table" && existedBefore(file, c.table)
        ? [
            {
              line: c.line,
              message: `drops table ${c.table} (${c.before.columns.length} columns); every row in it is lost and the running version's queries on it fail`,
              fix: `Contract in two releases: first deploy code that no longer reads or writes ${c.table}; after that version is at 100% and stable, ship \`DROP TABLE ${ident(c.table)};\` in its own migration with \`-- blastwall-ignore d1/drop-table: <release> stopped using ${c.table}\`. Take a Time Travel bookmark first (\`wrangler d1 time-travel info <db>\`).`,
              data: { table: c.table },
            },
          ]
        : [],
    ),
});
