import { runningVersion } from "../../d1/code-mentions.js";
import { copiedFirst, restoredAfter } from "../../d1/net-effect.js";
import { existedBefore, ident, type RuleHit } from "../../d1/rule.js";
import { defineRule } from "../rule.js";

/**
 * DROP TABLE of a table that existed before this migration: the running code may still read or write it. Judged on
 * the file's net effect: dropping and creating a table again under the same name still loses every row.
 */
export default defineRule({
  meta: { id: "d1/drop-table", severity: "error", summary: "A migration drops a table that code may still use" },
  checkMigration: ({ file, code }) =>
    file.changes.flatMap((c): RuleHit[] => {
      if (c.kind !== "drop-table") return [];
      const again = file.recreated?.has(c.table.toLowerCase()) ?? false;
      if (!again && !existedBefore(file, c.table)) return [];
      const kept = copiedFirst(file, c.table, c.line);
      // Saved to a scratch table, dropped, created again and put back: the rows survive the file.
      const restored = again && kept ? restoredAfter(file, c.table, c.line) : undefined;
      if (restored !== undefined)
        return [
          {
            line: c.line,
            severity: "info" as const,
            message: `drops table ${c.table} and creates it again, after saving its rows and putting them back at line ${restored}: no row is lost if the two copies name the same columns`,
            fix: `Prove it on production data with \`blastwall check --data <export.sql>\`: the replay reports any row or column the round trip loses.`,
            data: { table: c.table, recreated: true, restoredAt: restored },
          },
        ];
      const running = runningVersion(code, c.table, "queries on it fail");
      const lost = kept
        ? `its rows were copied elsewhere earlier in this file (INSERT … SELECT or CREATE TABLE … AS SELECT), so check that copy keeps every column you need`
        : "every row in it is lost";
      return [
        {
          line: c.line,
          message: again
            ? `drops table ${c.table} (${c.before.columns.length} columns) and creates it again in the same file: the new ${c.table} starts empty, so ${lost}`
            : `drops table ${c.table} (${c.before.columns.length} columns); ${lost}, and ${running.clause}`,
          fix: again
            ? `Change ${c.table} in place (\`ALTER TABLE ${ident(c.table)} ADD COLUMN …\`), or rebuild it keeping the rows: create ${ident(`${c.table}_new`)}, \`INSERT INTO ${ident(`${c.table}_new`)} SELECT … FROM ${ident(c.table)}\`, drop ${ident(c.table)}, then rename ${ident(`${c.table}_new`)} to ${ident(c.table)}.`
            : `Contract in two releases: first deploy code that no longer reads or writes ${c.table}; after that version is at 100% and stable, ship \`DROP TABLE ${ident(c.table)};\` in its own migration with \`-- blastwall-ignore d1/drop-table: <release> stopped using ${c.table}\`. Take a Time Travel bookmark first (\`wrangler d1 time-travel info <db>\`).`,
          data: { table: c.table, recreated: again, copiedFirst: kept, namedInCode: !running.unused },
          ...(kept ? { severity: "warning" as const } : {}),
        },
      ];
    }),
});
