import { type InsertValues, insertValues } from "../sql/insert-values.js";
import type { Table } from "../sql/schema.js";
import type { SqlStatement } from "../sql/split.js";
import { tokenize } from "../sql/tokens.js";
import type { KeyedRow, MigrationFile } from "./rule.js";

const lc = (s: string) => s.toLowerCase();
/** Row keys kept per table, and the longest row text kept: a 10 MB seed is not worth remembering row by row. */
const MAX_ROWS = 20000;
const MAX_ROW_TEXT = 400;

/** A plain INSERT's rows, as `rowsOf` reads them. */
export interface PlainInsert {
  table: string;
  columns: string[];
  rows: string[][];
}

/** What an INSERT or REPLACE is, read from its head; its rows, read on first use (null: none readable). */
interface InsertRead {
  plain: boolean;
  replace: boolean;
  rows?: PlainInsert | null;
}

/** Each statement is read once: the rules read it before `InsertedRows.record` does. */
const reads = new WeakMap<SqlStatement, InsertRead>();

function readOf(stmt: SqlStatement): InsertRead {
  const known = reads.get(stmt);
  if (known) return known;
  const head = tokenize(stmt.sql, 12);
  const or = head[1]?.value === "OR" ? head[2]?.value : undefined;
  const read: InsertRead = {
    plain: head[0]?.value === "INSERT" && head[1]?.value !== "OR" && !/\bON\s+CONFLICT\b/i.test(stmt.sql),
    replace: head[0]?.value === "REPLACE" || or === "REPLACE",
  };
  reads.set(stmt, read);
  return read;
}

function rowsOf(stmt: SqlStatement, read: InsertRead): PlainInsert | undefined {
  if (read.rows === undefined) {
    const insert = insertValues(stmt.sql);
    read.rows = insert ? textOf(insert) : null;
  }
  return read.rows ?? undefined;
}

/**
 * The rows of a plain `INSERT INTO t (…) VALUES (…)` (no OR IGNORE / OR REPLACE / ON CONFLICT, which settle a
 * repeat themselves), each as its values re-spelled from their tokens; undefined for anything else.
 *
 * @example
 * plainInsertRows(stmt); // INSERT INTO agents (name) VALUES ('a'), ( 'b' ) → { table: "agents", columns: ["name"], rows: [["'a'"], ["'b'"]] }
 */
export function plainInsertRows(stmt: SqlStatement): PlainInsert | undefined {
  const read = readOf(stmt);
  return read.plain ? rowsOf(stmt, read) : undefined;
}

/** Each value re-spelled from its tokens (strings quoted, the rest lower-cased), so spacing never matters. */
function textOf(insert: InsertValues): PlainInsert {
  const rows = insert.rows.map((row) =>
    row.map((item) => item.map((t) => (t.kind === "string" ? `'${t.text}'` : t.text.toLowerCase())).join(" ")),
  );
  return { table: lc(insert.table), columns: insert.columns.map(lc), rows };
}

/**
 * The keys a row is known by: its whole text, and, for rows of three columns or more, its text with one column left
 * out (`~api_key`): a row that differs from an earlier one in that column alone is the same row inserted again
 * with one value changed (an UPDATE written as an INSERT).
 */
export function rowKeys(columns: readonly string[], values: readonly string[]): { key: string; differs?: string }[] {
  const whole = columns.map((c, i) => `${c}=${values[i] ?? ""}`);
  const keys: { key: string; differs?: string }[] = [{ key: whole.join("\u0000") }];
  if (columns.length >= 3)
    columns.forEach((c, i) => {
      keys.push({ key: `~${c}\u0000${whole.filter((_, k) => k !== i).join("\u0000")}`, differs: c });
    });
  return keys;
}

/** Any `INSERT [OR x] … VALUES` or `REPLACE … VALUES`, its rows read as `plainInsertRows` reads them. */
export function anyInsertRows(stmt: SqlStatement): (PlainInsert & { replace: boolean }) | undefined {
  const read = readOf(stmt);
  const rows = rowsOf(stmt, read);
  return rows ? { ...rows, replace: read.replace } : undefined;
}

/** The lower-cased single columns that name one row of `table`: its primary key and its UNIQUE columns. */
export function uniqueColumns(table: Table | undefined): string[] {
  if (!table) return [];
  const pk = table.columns.filter((c) => c.pk > 0);
  const keys = table.indexes.filter((i) => i.unique && !i.partial && i.columns.length === 1).map((i) => i.columns[0]);
  return [...new Set([...(pk.length === 1 ? [pk[0]?.name] : []), ...keys].flatMap((c) => (c ? [lc(c)] : [])))];
}

/** A renamed table's entry, under its new name. */
function moveEntry<T>(map: Map<string, T>, from: string, to: string): void {
  const entry = map.get(from);
  map.delete(from);
  if (entry !== undefined) map.set(to, entry);
}

/** Rows earlier migrations inserted, by table, as far as no DELETE or DROP of that table has cleared them since. */
export class InsertedRows {
  private readonly byTable = new Map<string, Map<string, string>>();
  /** By table, then `column\u0000value` of a unique column: the row that holds that value. */
  private readonly keyed = new Map<string, Map<string, KeyedRow>>();

  /** The row an earlier migration left under `column = value` (a unique column) of `table`, if one did. */
  rowUnder(table: string, column: string, value: string): KeyedRow | undefined {
    return this.keyed.get(lc(table))?.get(`${lc(column)}\u0000${value}`);
  }

  /** The earlier migration that inserted a row known by `key` (see `rowKeys`) into `table`, if one did. */
  insertedBy(table: string, key: string): string | undefined {
    return this.byTable.get(lc(table))?.get(key);
  }

  /** Records what `file` inserted, deleted, dropped and renamed, in statement order, after its rules ran. */
  record(file: MigrationFile): void {
    file.outcomes.forEach((o, i) => {
      const stmt = file.statements[i];
      if (!stmt || o.error || o.skipped) return;
      const target = lc(o.target ?? "");
      if (o.verb === "delete" || o.verb === "drop-table") this.byTable.delete(target);
      // An UPDATE may change the values a row is known by: forget them rather than judge by stale ones.
      if (o.verb === "delete" || o.verb === "drop-table" || o.verb === "update" || o.insertSelect)
        this.keyed.delete(target);
      for (const c of o.changes)
        if (c.kind === "rename-table") {
          moveEntry(this.byTable, lc(c.from), lc(c.table));
          moveEntry(this.keyed, lc(c.from), lc(c.table));
        } else if (c.kind !== "add-index" && c.kind !== "add-column") this.keyed.delete(lc(c.table));
      if ((o.verb === "insert" || o.verb === "replace") && !o.insertSelect) this.recordKeyed(file, stmt, target);
      if (o.verb !== "insert" || o.insertSelect) return;
      const insert = plainInsertRows(stmt);
      if (!insert) return;
      const rows = this.byTable.get(insert.table) ?? new Map<string, string>();
      for (const values of insert.rows) {
        if (values.join("").length > MAX_ROW_TEXT || rows.size >= MAX_ROWS) continue;
        for (const { key } of rowKeys(insert.columns, values)) if (!rows.has(key)) rows.set(key, file.name);
      }
      this.byTable.set(insert.table, rows);
    });
  }

  /**
   * Each row of an INSERT or REPLACE under its unique columns, for a table with two or more (a key and a name):
   * a REPLACE takes the key, OR IGNORE leaves it.
   */
  private recordKeyed(file: MigrationFile, stmt: SqlStatement, target: string): void {
    // A row is told apart from another item only by a second unique column: with fewer, nothing to read.
    const keys = uniqueColumns(file.tablesAfter?.get(target));
    const insert = keys.length < 2 ? undefined : anyInsertRows(stmt);
    if (!insert) return;
    const rows = this.keyed.get(insert.table) ?? new Map<string, KeyedRow>();
    for (const values of insert.rows) {
      if (values.join("").length > MAX_ROW_TEXT || rows.size >= MAX_ROWS) continue;
      const row: KeyedRow = { file: file.name, values: new Map(insert.columns.map((c, i) => [c, values[i] ?? ""])) };
      for (const k of keys) {
        const v = row.values.get(k);
        if (v === undefined || v === "null") continue;
        const key = `${k}\u0000${v}`;
        if (insert.replace || !rows.has(key)) rows.set(key, row);
      }
    }
    this.keyed.set(insert.table, rows);
  }
}
