import { isSingleton } from "../../d1/row-bounds.js";
import { existedBefore, failsOnlyForMissingBase, ident, listSome, type MigrationFile } from "../../d1/rule.js";
import { type SetAssignment, setAssignments, tokenize } from "../../sql/tokens.js";
import { defineRule } from "../rule.js";

/** Rows from which an UPDATE of only new columns is a lock-time risk again, as for d1/large-data-change. */
const MANY_ROWS = 1000;

/** Each `table.column` (lower case) the file adds with `ADD COLUMN` → the index of the first statement that adds it. */
function addedAt(file: MigrationFile): Map<string, number> {
  const at = new Map<string, number>();
  file.outcomes.forEach((o, i) => {
    for (const c of o.changes)
      if (c.kind === "add-column") {
        const k = `${c.table}.${c.column.name}`.toLowerCase();
        if (!at.has(k)) at.set(k, i);
      }
  });
  return at;
}

/** `SET name = name`: the value is the column itself, a bare or quoted name (Token.text is unquoted already). */
const setsItself = ({ columns, value }: SetAssignment) =>
  columns.length === 1 &&
  value.length === 1 &&
  (value[0]?.kind === "word" || value[0]?.kind === "ident") &&
  value[0].text.toLowerCase() === columns[0];

/**
 * The columns an UPDATE sets when each is one this file added before it (a backfill) or is set to itself
 * (`SET name = name`, which re-runs CHECKs and triggers): no value held before the file is overwritten. Undefined
 * when it sets any other column, or its SET cannot be read.
 */
function onlyNewColumns(sql: string, index: number, table: string, added: ReadonlyMap<string, number>) {
  const assignments = setAssignments(tokenize(sql));
  const before = (c: string) => (added.get(`${table}.${c}`.toLowerCase()) ?? index) < index;
  return assignments?.every((a) => setsItself(a) || a.columns.every(before))
    ? assignments.flatMap((a) => a.columns)
    : undefined;
}

/**
 * An UPDATE without WHERE: a warning, or info when it only fills columns this file added and, with `--data`, touches
 * fewer than MANY_ROWS rows. Its lock time then depends on rows only `--data` can count, and no earlier value is lost.
 */
function updateSeverity(
  columns: readonly string[] | undefined,
  { table, rows, counted }: { table: string; rows: number | undefined; counted: string },
) {
  const plain = `UPDATE ${table} without WHERE rewrites every row${counted} in one statement, inside the migration's transaction`;
  if (!columns || (rows !== undefined && rows >= MANY_ROWS)) return { severity: "warning" as const, message: plain };
  const size =
    rows === undefined
      ? "how long it holds D1's writer depends on the table's rows (run with --data to count them)"
      : `it touches fewer than ${MANY_ROWS} rows${counted}`;
  return {
    severity: "info" as const,
    message: `${plain}. It sets only ${listSome(columns)}, which this file added before it or sets to itself, so no value held before is overwritten; ${size}`,
  };
}

/** UPDATE or DELETE without a WHERE on a table that existed before the migration. */
export default defineRule({
  meta: { id: "d1/unbounded-write", severity: "error", summary: "UPDATE or DELETE without WHERE on an existing table" },
  checkMigration: ({ file, dataLabel }) => {
    // Read only when an UPDATE without WHERE turns up: most files have none.
    let added: Map<string, number> | undefined;
    const addedColumns = () => {
      added ??= addedAt(file);
      return added;
    };
    return file.outcomes.flatMap((o, i) => {
      const stmt = file.statements[i];
      if (!stmt || (o.verb !== "update" && o.verb !== "delete") || o.hasWhere || !o.target) return [];
      // A write to a table made outside the migrations fails on the replay, and empties the table on production.
      if (o.error && !failsOnlyForMissingBase(file, i, o.target)) return [];
      if (!existedBefore(file, o.target)) return [];
      // An UPDATE of a table that holds one row at most (`id … CHECK (id = 1)`) rewrites that row, nothing more.
      if (o.verb === "update" && isSingleton(file.tablesAfter?.get(o.target.toLowerCase()))) return [];
      const t = ident(o.target);
      const rows = file.data?.statements[i]?.rowsChanged;
      const counted = rows !== undefined ? ` (${rows} rows on ${dataLabel ?? "--data"})` : "";
      return o.verb === "delete"
        ? [
            {
              line: stmt.line,
              column: stmt.column,
              message: `DELETE FROM ${o.target} without WHERE deletes every row${counted}, and fires every ON DELETE CASCADE on it`,
              fix: `Say which rows: \`DELETE FROM ${t} WHERE <condition>;\`, batched as \`DELETE FROM ${t} WHERE rowid IN (SELECT rowid FROM ${t} WHERE <condition> LIMIT 1000);\`. If the table really must be emptied, drop it in a contract release instead.`,
              data: { table: o.target, ...(rows !== undefined ? { rows } : {}) },
            },
          ]
        : [
            {
              line: stmt.line,
              column: stmt.column,
              ...updateSeverity(onlyNewColumns(stmt.sql, i, o.target, addedColumns()), {
                table: o.target,
                rows,
                counted,
              }),
              fix: `Backfill in batches outside the schema migration: \`UPDATE ${t} SET … WHERE rowid IN (SELECT rowid FROM ${t} WHERE <not yet done> LIMIT 1000);\`, repeated until it changes 0 rows.`,
              data: { table: o.target, ...(rows !== undefined ? { rows } : {}) },
            },
          ];
    });
  },
});
