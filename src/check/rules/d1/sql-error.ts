import type { FailureCause, MigrationFile } from "../../d1/rule.js";
import type { StatementOutcome } from "../../sql/replay.js";
import type { Hit } from "../report.js";
import { defineRule } from "../rule.js";

const WRITES = new Set(["insert", "replace", "update"]);

/**
 * A write that fails only because a parent row is missing on the empty replay: no migration inserted that row, so
 * whether production has it is a question of its data. Certain on `--data`, otherwise a warning.
 */
function missingParent(o: StatementOutcome, i: number, file: MigrationFile, dataLabel?: string): Hit | undefined {
  if (o.error?.code !== "SQLITE_CONSTRAINT_FOREIGNKEY" || !WRITES.has(o.verb)) return undefined;
  const onData = file.data?.statements[i];
  const label = dataLabel ?? "--data";
  if (onData?.error) return undefined;
  return {
    line: o.error.line,
    severity: onData ? "info" : "warning",
    message: onData
      ? `${o.verb.toUpperCase()} into ${o.target ?? "a table"} references a row no migration inserts; it fails on an empty database (a fresh environment, local dev) but passes on ${label}, which holds the parent rows`
      : `${o.verb.toUpperCase()} into ${o.target ?? "a table"} references a row that no migration inserts ("FOREIGN KEY constraint failed" on the history replayed from empty): it fails on every database that lacks the parent rows — a fresh environment, local dev, a preview database — and on production unless they are there`,
    fix: `Insert the parent rows in the same migration (or an earlier one) before this ${o.verb.toUpperCase()}, or guard it: \`INSERT … SELECT … WHERE EXISTS (SELECT 1 FROM <parent> WHERE id = …)\`. Run \`blastwall check --data <export.sql>\` to see whether production has them.`,
    data: { sqlite: o.error.message, code: o.error.code, dataDependent: true },
  };
}

/** A failure that only follows from an earlier one: info, pointing at the failure to fix first. */
function followOn(error: NonNullable<StatementOutcome["error"]>, cause: FailureCause): Hit {
  return {
    line: error.line,
    severity: "info",
    message: cause.sameFile
      ? `SQLite rejects this statement on the replay (${error.message}), but only because line ${cause.line} failed first: D1 stops the file there and rolls it back, so this statement never runs until line ${cause.line} is fixed`
      : `SQLite rejects this statement on the replay (${error.message}), but only because of what the replay kept of ${cause.rel}, which fails at line ${cause.line}: D1 rolls a failing file back whole, so wherever that file failed this statement runs`,
    fix: cause.sameFile
      ? `Fix line ${cause.line} first, then check again: this statement may pass once it does.`
      : `Fix ${cause.rel}:${cause.line} first. If you fix it so that it applies, this statement then clashes with it on every database that runs both: change them together.`,
    data: {
      sqlite: error.message,
      followsFrom: `${cause.rel}:${cause.line}`,
      ...(error.code ? { code: error.code } : {}),
    },
  };
}

/** A statement that SQLite rejects while replaying the migration history on an empty database. */
export default defineRule({
  meta: { id: "d1/sql-error", severity: "error", summary: "A migration's SQL fails to apply" },
  checkMigration: ({ file, dataLabel }) => [
    ...file.problems.map((p) => ({
      line: p.line,
      column: p.column,
      message: `${p.message}: the rest of the file is one unfinished token and wrangler would send it all as one broken statement`,
      fix: "Close the quote or comment (a quote inside a string is written twice: 'it''s').",
    })),
    // Failures on a table made outside migrations are d1/missing-base-schema's, once per table.
    ...file.outcomes.flatMap((o, i): Hit[] => {
      if (!o.error || file.missingBase?.some((m) => m.index === i)) return [];
      const parent = missingParent(o, i, file, dataLabel);
      if (parent) return [parent];
      const cause = file.followsFailure?.get(i);
      if (cause) return [followOn(o.error, cause)];
      // The replay's own words when the failure is wrangler's record of the file, not the statement.
      const record = o.error.message.startsWith("wrangler ");
      return [
        {
          line: o.error.line,
          message: record ? o.error.message : `SQLite rejects this statement: ${o.error.message}`,
          fix: record
            ? "Remove the write to the migrations table: wrangler records each file itself, once it has run."
            : `Fix the statement and try it with \`wrangler d1 migrations apply <db> --local\`; D1 rolls back the whole file when one statement fails.`,
          data: { sqlite: o.error.message, ...(o.error.code ? { code: o.error.code } : {}) },
        },
      ];
    }),
  ],
});
