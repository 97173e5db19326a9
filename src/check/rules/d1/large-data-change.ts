import { isDataStatement } from "../../d1/classify.js";
import { dedupedOnReplay } from "../../d1/dedupe-probe.js";
import { keptChildren } from "../../d1/kept-children.js";
import { dedupedFirst, isSaveOrRestore } from "../../d1/net-effect.js";
import { matchesNoRow } from "../../d1/no-row.js";
import { emptyAt, isSingleton, keyedRows, selectedKeyedRows, selectsOneRow, valuesRows } from "../../d1/row-bounds.js";
import { ident, type MigrationFile } from "../../d1/rule.js";
import type { StatementOutcome } from "../../sql/replay.js";
import { tokenize } from "../../sql/tokens.js";
import { defineRule } from "../rule.js";

/** Rows changed by one statement, at or above which a data change belongs in a batched backfill. */
export const LARGE_DATA_ROWS = 1000;

/** Whether a statement after `line` renames `table` away (read from its text: the replay may have failed there). */
function renamedLater(file: MigrationFile, table: string, line: number): boolean {
  return file.statements.some((s) => {
    if (s.line <= line) return false;
    const t = tokenize(s.sql, 6);
    const named = t[2]?.text.toLowerCase() === table.toLowerCase();
    return (
      t[0]?.value === "ALTER" && t[1]?.value === "TABLE" && named && t[3]?.value === "RENAME" && t[4]?.value === "TO"
    );
  });
}

/**
 * Data statements that only move a few rows or a rebuild's own rows: saving a table's rows before dropping and
 * creating it again (or before a DROP cascades into it) and putting them back, a write to a table that holds one
 * row at most, an INSERT of one row (aggregates, no FROM, LIMIT 1), a REPLACE of a few listed rows, an UPDATE or
 * DELETE of a table the file created and left empty, writes into a rebuild's new table before it is renamed over the
 * old one, an UPDATE or DELETE whose WHERE pins a unique key to a few literals, and an INSERT … SELECT whose one
 * source table's unique key its WHERE pins so.
 */
function bounded(file: MigrationFile): (sql: string, o: StatementOutcome, line: number) => boolean {
  const keptLines = new Set(keptChildren(file).flatMap((k) => [k.saveLine, k.restoreLine]));
  return (sql, o, line) =>
    keptLines.has(line) ||
    isSaveOrRestore(file, sql, o) ||
    isSingleton(file.tablesAfter?.get((o.target ?? "").toLowerCase())) ||
    // sqlite_sequence holds one row per AUTOINCREMENT table.
    (o.target ?? "").toLowerCase() === "sqlite_sequence" ||
    ((o.verb === "insert" || o.verb === "replace") && selectsOneRow(sql)) ||
    // `INSERT OR REPLACE … VALUES (…), (…)` writes the rows it lists, no more.
    (o.verb === "replace" && !o.insertSelect && (valuesRows(sql) ?? LARGE_DATA_ROWS) < LARGE_DATA_ROWS) ||
    // An UPDATE or DELETE of a table this file created and has not written to yet touches no row.
    ((o.verb === "update" || o.verb === "delete") && emptyAt(file, o.target ?? "", line)) ||
    // Filling or fixing the new table of a rebuild (created here, renamed over the old one later) is the copy itself.
    (file.createdHere.has((o.target ?? "").toLowerCase()) && renamedLater(file, o.target ?? "", line)) ||
    (keyedRows(sql, file.tablesAfter?.get((o.target ?? "").toLowerCase())) ?? LARGE_DATA_ROWS) < LARGE_DATA_ROWS ||
    // An INSERT … SELECT of the rows a unique key of its one source table pins (`WHERE i.name = 'x'`).
    (o.insertSelect && (selectedKeyedRows(sql, (t) => file.tablesAfter?.get(t)) ?? LARGE_DATA_ROWS) < LARGE_DATA_ROWS);
}

/**
 * A DELETE that de-duplicates `table` for a unique index this file then creates on it: it must run in the index's
 * transaction, or the running version writes new duplicates in between, so it is no backfill to move out.
 */
function dedupesForIndex(file: MigrationFile, o: StatementOutcome, line: number): boolean {
  if (o.verb !== "delete" || !o.target) return false;
  const table = o.target.toLowerCase();
  return file.changes.some(
    (c) =>
      c.kind === "add-index" &&
      c.index.unique &&
      c.table.toLowerCase() === table &&
      c.line > line &&
      (dedupedFirst(file, c.table, c.index.columns, c.line) ?? dedupedOnReplay(file, c.table, c.line)) === line,
  );
}

/**
 * A data change (UPDATE, DELETE, INSERT … SELECT) inside a migration that also changes the schema: a warning when
 * `--data` measures 1,000 rows or more, info while its size is unknown.
 */
export default defineRule({
  meta: {
    id: "d1/large-data-change",
    severity: "warning",
    summary: "A large data change sits inside a schema migration instead of a batched backfill",
  },
  checkMigration: ({ file, dataLabel }) => {
    if (!file.classes.has("expand") && !file.classes.has("contract")) return [];
    const isBounded = bounded(file);
    return file.outcomes.flatMap((o, i) => {
      const stmt = file.statements[i];
      if (!stmt || o.error || !isDataStatement(o) || file.copyLines.has(stmt.line)) return [];
      // Bounded by a key or a singleton, or a WHERE that no existing row can match (it holds a new column's DEFAULT).
      if (isBounded(stmt.sql, o, stmt.line) || matchesNoRow(file, i) || dedupesForIndex(file, o, stmt.line)) return [];
      const rows = file.data?.statements[i]?.rowsChanged;
      if (file.data && (rows ?? 0) < LARGE_DATA_ROWS) return [];
      const t = ident(o.target ?? "the_table");
      const pick = `rowid IN (SELECT rowid FROM ${t} WHERE <not yet done> LIMIT ${LARGE_DATA_ROWS})`;
      const batch =
        o.verb === "delete"
          ? `DELETE FROM ${t} WHERE ${pick};`
          : o.verb === "insert"
            ? `INSERT INTO ${t} SELECT … FROM <source> WHERE <not yet copied> LIMIT ${LARGE_DATA_ROWS};`
            : `UPDATE ${t} SET … WHERE ${pick};`;
      const size =
        rows !== undefined
          ? `changes ${rows} rows on ${dataLabel ?? "--data"} (≥ ${LARGE_DATA_ROWS})`
          : "changes an unknown number of rows (run with --data to count them)";
      return [
        {
          line: stmt.line,
          column: stmt.column,
          message: `${o.verb.toUpperCase()} on ${o.target ?? "a table"} inside a schema migration ${size}; it holds D1's single writer for the whole file and rolls the schema change back with it if it times out`,
          fix: `Move it out of the schema migration into a backfill that runs after the expand migration is applied and the new code is live, in batches of ${LARGE_DATA_ROWS}: \`${batch}\` until it changes 0 rows.`,
          data: { table: o.target, ...(rows !== undefined ? { rows } : {}) },
          // Unmeasured, its size is a guess: a lock-time risk needs rows, and most D1 tables hold few.
          ...(file.data ? {} : { severity: "info" as const }),
        },
      ];
    });
  },
});
