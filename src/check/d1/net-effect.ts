import type { StatementOutcome } from "../sql/replay.js";
import type { SqlStatement } from "../sql/split.js";
import type { MigrationFile } from "./rule.js";

/** What a file does around one statement: rows it moved or filled in before, tables it drops for good. */

const lc = (s: string) => s.toLowerCase();
/** A name as a regex fragment, quoted or bare: `status`, `"status"`, `[status]`, `` `status` ``. */
const nameRe = (name: string) => `["\`\\[]?${name.replace(/[^\w]/g, "")}["\`\\]]?`;
/** A SELECT that copies nothing (`WHERE 0`, `LIMIT 0`): CREATE TABLE … AS SELECT used only for the shape. */
const EMPTY_SELECT = /\bwhere\s+(0|false|1\s*=\s*0)\b|\blimit\s+0\b/i;

interface Step {
  stmt: SqlStatement;
  outcome: StatementOutcome;
}

function steps(file: MigrationFile, before: number): Step[] {
  return file.statements.flatMap((stmt, i) => {
    const outcome = file.outcomes[i];
    return outcome && !outcome.error && stmt.line < before ? [{ stmt, outcome }] : [];
  });
}

/**
 * Whether a statement before `line` copies the rows of `table` elsewhere: `INSERT … SELECT … FROM table` or
 * `CREATE TABLE … AS SELECT … FROM table` (not one that copies nothing).
 *
 * @example
 * copiedFirst(file, "order_items", dropLine); // true after "CREATE TABLE archive AS SELECT * FROM order_items;"
 */
export function copiedFirst(file: MigrationFile, table: string, line: number): boolean {
  const from = new RegExp(`\\bfrom\\s+${nameRe(table)}(?![\\w])`, "i");
  return steps(file, line).some(({ stmt, outcome }) => {
    if (!from.test(stmt.sql)) return false;
    if (outcome.verb === "insert" && outcome.insertSelect) return true;
    return outcome.verb === "create-table" && /\bas\s+select\b/i.test(stmt.sql) && !EMPTY_SELECT.test(stmt.sql);
  });
}

/**
 * Whether an UPDATE of `table` before `line` sets `column` on every row that was NULL: no WHERE, or a WHERE on
 * `column IS NULL` without a LIMIT (a batched backfill may leave rows behind).
 *
 * @example
 * filledIn(file, "orders", "status", rebuildLine); // true after "UPDATE orders SET status = 'new' WHERE status IS NULL;"
 */
export function filledIn(file: MigrationFile, table: string, column: string, line: number): boolean {
  const sets = new RegExp(`\\bset\\b[\\s\\S]*\\b${nameRe(column)}\\s*=`, "i");
  const isNull = new RegExp(`\\bwhere\\b[\\s\\S]*\\b${nameRe(column)}\\s+is\\s+null\\b`, "i");
  return steps(file, line).some(
    ({ stmt, outcome }) =>
      outcome.verb === "update" &&
      lc(outcome.target ?? "") === lc(table) &&
      sets.test(stmt.sql) &&
      (!outcome.hasWhere || (isNull.test(stmt.sql) && !/\blimit\b/i.test(stmt.sql))),
  );
}

/**
 * Whether, after renaming `table.from` to `to` at `line`, the file adds a column named `from` again and copies the
 * values back into it (`UPDATE table SET from = to`): the running version's queries on `from` still work.
 *
 * @example
 * keptAfterRename(file, "orders", "status", "state", 1); // true for RENAME, ADD COLUMN status, UPDATE … SET status = state
 */
export function keptAfterRename(file: MigrationFile, table: string, from: string, to: string, line: number): boolean {
  const readded = file.changes.some(
    (c) => c.kind === "add-column" && lc(c.table) === lc(table) && lc(c.column.name) === lc(from) && c.line > line,
  );
  if (!readded) return false;
  const copy = new RegExp(`\\bset\\b[\\s\\S]*\\b${nameRe(from)}\\s*=\\s*${nameRe(to)}(?![\\w])`, "i");
  return steps(file, Number.POSITIVE_INFINITY).some(
    ({ stmt, outcome }) =>
      stmt.line > line && outcome.verb === "update" && lc(outcome.target ?? "") === lc(table) && copy.test(stmt.sql),
  );
}

/**
 * Lower-cased tables the file drops and does not rebuild: their rows go with that DROP (reported by
 * d1/drop-table), so a cascade into them from another table's drop loses nothing more.
 *
 * @example
 * droppedInFile(file).has("order_items"); // true for "DROP TABLE order_items;"
 */
export function droppedInFile(file: MigrationFile): Set<string> {
  const rebuilt = new Set(file.changes.flatMap((c) => (c.kind === "modify-table" ? [lc(c.table)] : [])));
  return new Set(
    file.outcomes.flatMap((o) =>
      o.verb === "drop-table" && !o.error && o.target && !rebuilt.has(lc(o.target)) ? [lc(o.target)] : [],
    ),
  );
}

const normalize = (sql: string) =>
  sql
    .replace(/["`[\]]/g, "")
    .replace(/\s+/g, " ")
    .replace(/;\s*$/, "")
    .trim()
    .toLowerCase();

/**
 * Whether the partial index created at `line` (`CREATE UNIQUE INDEX … WHERE cond`) covers only rows an earlier
 * `DELETE FROM table WHERE cond` (the same condition) removed: no existing row is in it, so it cannot fail.
 *
 * @example
 * partialRowsDeleted(file, "inv", 2); // true after "DELETE FROM inv WHERE acceptedAt IS NULL;"
 */
export function partialRowsDeleted(file: MigrationFile, table: string, line: number): boolean {
  const create = file.statements.find((s, i) => s.line === line && file.outcomes[i]?.verb === "create-index");
  const where = create && /\)\s*where\s+([\s\S]+)$/i.exec(create.sql.trim())?.[1];
  if (!where) return false;
  const cond = normalize(where);
  return steps(file, line).some(({ stmt, outcome }) => {
    if (outcome.verb !== "delete" || lc(outcome.target ?? "") !== lc(table)) return false;
    const deleted = /\bwhere\s+([\s\S]+)$/i.exec(stmt.sql.trim())?.[1];
    return deleted !== undefined && normalize(deleted) === cond;
  });
}
