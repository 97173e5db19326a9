import { type CodeMentions, runningVersion } from "../../d1/code-mentions.js";
import { copiedFirst, refilledIndex, restoredAfter } from "../../d1/net-effect.js";
import { existedBefore, ident, type MigrationFile, type RuleHit } from "../../d1/rule.js";
import { defineRule } from "../rule.js";

/** How code could spell a table: `api_keys`, `apiKeys` / `ApiKeys` (the search ignores case), `api-keys`. */
function spellings(table: string): string[] {
  return [...new Set([table, table.replace(/_/g, ""), table.replace(/_/g, "-")])];
}

/**
 * Why a dropped table was never used, or undefined when it may have been: the running version's code (read at
 * `--base`) of every bound Worker was read whole (no import leaves the folders read) and no source file names it in
 * any spelling, and no migration (earlier, or this file before the DROP) wrote a row into it.
 */
function neverUsed(
  file: MigrationFile,
  code: CodeMentions | undefined,
  table: string,
  line: number,
): string | undefined {
  const t = table.toLowerCase();
  // Only the running version's code (read at --base) says what it used: the code about to be deployed may have
  // stopped naming the table in this very change, while the version still running writes to it.
  if (!code || code.at === undefined || spellings(t).some((n) => code.mentions(n)) || file.seeded?.has(t))
    return undefined;
  const written = file.statements.some((s, i) => {
    const o = file.outcomes[i];
    return s.line < line && (o?.verb === "insert" || o?.verb === "replace") && o.target?.toLowerCase() === t;
  });
  if (written || !code.wholeCode()) return undefined;
  return `no source file of ${code.workers.join(", ")} at ${code.at} (the running version, every import inside the folders read) names ${table} in any case or quoting (${spellings(table).join(", ")}), and no migration wrote a row into it, so it should hold no rows`;
}

/**
 * DROP TABLE of a table that existed before this migration: the running code may still read or write it. Judged on
 * the file's net effect: dropping and creating a table again under the same name still loses every row.
 */
export default defineRule({
  meta: { id: "d1/drop-table", severity: "error", summary: "A migration drops a table that code may still use" },
  checkMigration: ({ file, code: deployed, running: ranBefore }) =>
    file.changes.flatMap((c): RuleHit[] => {
      if (c.kind !== "drop-table") return [];
      // The running version's code, where git or --base has it: the code about to be deployed otherwise.
      const code = ranBefore?.() ?? deployed;
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
      // A full-text index built again from its source table: its rows are derived, none is lost.
      const refilled = again ? refilledIndex(file, c.table, c.line) : undefined;
      if (refilled !== undefined)
        return [
          {
            line: c.line,
            severity: "info" as const,
            message: `drops the full-text index ${c.table} and builds it again from its source at line ${refilled}: its rows are derived from that table, so none is lost`,
            fix: "Nothing to fix. On a large source table, check that the rebuild fits D1's statement time limit with `blastwall check --data <export.sql>`.",
            data: { table: c.table, recreated: true, refilledAt: refilled },
          },
        ];
      const unused = again || kept ? undefined : neverUsed(file, code, c.table, c.line);
      if (unused)
        return [
          {
            line: c.line,
            severity: "info" as const,
            message: `drops table ${c.table} (${c.before.columns.length} columns), which nothing used: ${unused}`,
            fix: `Confirm it is empty in production first: \`SELECT count(*) FROM ${ident(c.table)};\` must return 0 (or run \`blastwall check --data <export.sql>\`); take a Time Travel bookmark (\`wrangler d1 time-travel info <db>\`).`,
            data: { table: c.table, recreated: false, copiedFirst: false, namedInCode: false, seeded: false },
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
