import type Database from "better-sqlite3";
import { quoteIdent } from "./schema.js";
import type { Token } from "./tokens.js";

/** An `INSERT … SELECT *` as SQLite pairs it: the target's columns and the copied columns, position by position. */
export interface StarCopy {
  /** The columns the INSERT fills, in order: its column list, or every column of the target table. */
  into: string[];
  /** The names of the SELECT's result columns, in order, with each `*` expanded by SQLite. */
  from: string[];
  /** The tables the copied columns come from (as SQLite names them), in order of first use. */
  tables: string[];
}

/**
 * The column pairing of an `INSERT INTO t [(cols)] SELECT *|x.* …`, read off the database it is about to run on:
 * SQLite expands the `*` (`.columns()` of the prepared SELECT), so the order is the one production copies in.
 * Undefined when the SELECT lists no `*`, or when either side cannot be read.
 *
 * @example
 * starCopy(db, "INSERT INTO tickets SELECT * FROM tickets_old", tokenize(sql), "tickets");
 * // { into: ["id", "title", "status"], from: ["id", "status", "title"], tables: ["tickets_old"] }
 */
export function starCopy(
  db: Database.Database,
  sql: string,
  tokens: readonly Token[],
  target: string,
): StarCopy | undefined {
  const into = tokens.findIndex((t) => t.kind === "word" && t.value === "INTO");
  const select = tokens.findIndex(
    (t, i) => i > into && t.depth === 0 && t.kind === "word" && (t.value === "SELECT" || t.value === "WITH"),
  );
  const head = tokens[select];
  if (!head || !listsStar(tokens, select)) return undefined;
  const open = tokens.findIndex((t, i) => i > into && i < select && t.depth === 0 && t.value === "(");
  try {
    const result = db.prepare(sql.slice(head.at)).columns();
    const from = result.map((c) => c.name);
    const tables = [...new Set(result.flatMap((c) => (c.table ? [c.table] : [])))];
    const columns =
      open >= 0
        ? tokens
            .slice(open + 1, select)
            .flatMap((t) => (t.depth === 1 && t.value !== "," && t.value !== ")" ? [t.text] : []))
        : (db.prepare(`PRAGMA table_info(${quoteIdent(target)})`).all() as { name: string }[]).map((c) => c.name);
    return columns.length > 0 ? { into: columns, from, tables } : undefined;
  } catch {
    // An upsert tail or a statement SQLite rejects: the replay reports the error itself.
    return undefined;
  }
}

/** Whether the select list (from the `SELECT` at or after `from` to its top-level FROM) has a `*` or `x.*` item. */
function listsStar(tokens: readonly Token[], from: number): boolean {
  const start = tokens.findIndex((t, i) => i >= from && t.depth === 0 && t.value === "SELECT");
  let itemStart = true;
  for (let i = start + 1; start >= 0 && i < tokens.length; i++) {
    const t = tokens[i];
    if (!t || (t.depth === 0 && t.value === "FROM")) break;
    if (t.depth !== 0) continue;
    if (t.value === "*" && (itemStart || tokens[i - 1]?.value === ".")) return true;
    // `SELECT DISTINCT *` still starts its first item.
    if (t.value !== "DISTINCT" && t.value !== "ALL") itemStart = t.value === ",";
  }
  return false;
}
