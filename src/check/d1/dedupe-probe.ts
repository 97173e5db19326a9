import Database from "better-sqlite3";
import { type Column, quoteIdent, type Table } from "../sql/schema.js";
import type { MigrationFile } from "./rule.js";

const lc = (s: string) => s.toLowerCase();
/** Five values (a prime, for the array below) that an index or a GROUP BY may or may not tell apart. */
const POOL = [null, "", "a", "A", 1] as const;

type Row = (string | number | null)[];

/**
 * Row sets that a wrong de-duplication leaves colliding: rows equal but for one column (each column in turn takes
 * every value of POOL while the others hold 'a'), so a grouping that misses a key column keeps rows the index sees
 * as equal; and 25 rows in which every two columns hold every pair of values (an orthogonal array: x, y, x + k·y
 * mod 5), for keys over several columns.
 */
function probeRows(n: number): Row[][] {
  const single: Row[] = [];
  for (let c = 0; c < n; c++)
    for (const v of POOL) single.push(Array.from({ length: n }, (_, j) => (j === c ? v : "a")));
  const pairwise: Row[] = [];
  for (let x = 0; x < 5; x++)
    for (let y = 0; y < 5; y++)
      pairwise.push(Array.from({ length: n }, (_, j) => POOL[j % 6 === 5 ? y : (x + (j % 6) * y) % 5] ?? null));
  return [single, pairwise];
}

/**
 * The line of the DELETE (or the first of several) that makes the unique index at `line` hold on any rows: the
 * file's DELETEs on `table` before the index, run on rows that repeat on every column (NULLs, empty strings, case
 * and mixed types included), must leave rows the index's own statement accepts. Tried on an in-memory SQLite with the
 * table's columns and primary key only, so a DELETE that groups by expressions (`COALESCE(a, '')`) is judged as
 * SQLite runs it. Undefined when no such DELETE precedes it, it reads another table, or a duplicate survives.
 *
 * @example
 * // DELETE FROM stats WHERE id NOT IN (SELECT MAX(id) FROM stats GROUP BY kind, COALESCE(variant, ''));
 * // CREATE UNIQUE INDEX u ON stats (kind, COALESCE(variant, ''));
 * dedupedOnReplay(file, "stats", 9); // 1
 */
export function dedupedOnReplay(file: MigrationFile, table: string, line: number): number | undefined {
  const index = file.statements.find((s, i) => s.line === line && file.outcomes[i]?.verb === "create-index");
  const deletes = file.statements.filter(
    (s, i) => s.line < line && file.outcomes[i]?.verb === "delete" && lc(file.outcomes[i]?.target ?? "") === lc(table),
  );
  const shape = file.tablesAfter?.get(lc(table));
  if (!index || deletes.length === 0 || !shape) return undefined;
  const columns = shape.columns.filter((c) => c.hidden === 0 && !rowidAlias(shape, c.name));
  // Every row set must come out unique: one lucky arrangement proves nothing.
  if (!probeRows(columns.length).every((rows) => holds(shape, columns, rows, deletes, index.sql))) return undefined;
  return deletes[0]?.line;
}

/** Whether the DELETEs then the index run on `rows`, each written twice. */
function holds(
  shape: Table,
  columns: readonly Column[],
  rows: readonly Row[],
  deletes: readonly { sql: string }[],
  indexSql: string,
): boolean {
  const db = new Database(":memory:");
  try {
    db.exec(scratchTable(shape));
    const insert = db.prepare(
      `INSERT INTO ${quoteIdent(shape.name)} (${columns.map((c) => quoteIdent(c.name)).join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`,
    );
    for (const row of [...rows, ...rows]) insert.run(...row);
    for (const d of deletes) db.exec(d.sql);
    db.exec(indexSql);
    return true;
  } catch {
    return false;
  } finally {
    db.close();
  }
}

/** An INTEGER PRIMARY KEY: SQLite numbers it, so the rows stay distinct by it whatever the others hold. */
function rowidAlias(table: Table, column: string): boolean {
  const pk = table.columns.filter((c) => c.pk > 0);
  return pk.length === 1 && pk[0]?.type.toUpperCase() === "INTEGER" && lc(pk[0].name) === lc(column);
}

/** The table with its columns, their types and an INTEGER PRIMARY KEY: no other constraint can turn a row away. */
function scratchTable(table: Table): string {
  const cols = table.columns
    .filter((c) => c.hidden === 0)
    .map((c) => `${quoteIdent(c.name)} ${c.type}${rowidAlias(table, c.name) ? " PRIMARY KEY" : ""}`);
  return `CREATE TABLE ${quoteIdent(table.name)} (${cols.join(", ")})`;
}
