import { insertValues } from "../sql/insert-values.js";
import type { SqlStatement } from "../sql/split.js";
import { tokenize } from "../sql/tokens.js";
import type { MigrationFile } from "./rule.js";

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

/** Each statement is read once: the rule reads it before `InsertedRows.record` does. */
const read = new WeakMap<SqlStatement, PlainInsert | null>();

/**
 * The rows of a plain `INSERT INTO t (…) VALUES (…)` (no OR IGNORE / OR REPLACE / ON CONFLICT, which settle a
 * repeat themselves), each as its values re-spelled from their tokens; undefined for anything else.
 *
 * @example
 * plainInsertRows(stmt); // INSERT INTO agents (name) VALUES ('a'), ( 'b' ) → { table: "agents", columns: ["name"], rows: [["'a'"], ["'b'"]] }
 */
export function plainInsertRows(stmt: SqlStatement): PlainInsert | undefined {
  const known = read.get(stmt);
  if (known !== undefined) return known ?? undefined;
  const rows = readPlainInsert(stmt.sql);
  read.set(stmt, rows ?? null);
  return rows;
}

function readPlainInsert(sql: string): PlainInsert | undefined {
  const head = tokenize(sql, 12);
  if (head[0]?.value !== "INSERT" || head[1]?.value === "OR") return undefined;
  if (/\bON\s+CONFLICT\b/i.test(sql)) return undefined;
  const insert = insertValues(sql);
  if (!insert) return undefined;
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

/** Rows earlier migrations inserted, by table, as far as no DELETE or DROP of that table has cleared them since. */
export class InsertedRows {
  private readonly byTable = new Map<string, Map<string, string>>();

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
      for (const c of o.changes)
        if (c.kind === "rename-table") {
          const rows = this.byTable.get(lc(c.from));
          this.byTable.delete(lc(c.from));
          if (rows) this.byTable.set(lc(c.table), rows);
        }
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
}
