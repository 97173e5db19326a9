import type Database from "better-sqlite3";
import { nameOf, type Token, tokenize } from "./tokens.js";

/**
 * The schema model that migrations are diffed on, read from SQLite's own pragmas; CHECK constraints, which no
 * pragma lists, from the table's stored SQL.
 */

export interface Column {
  name: string;
  /** Declared type as written, upper-cased by SQLite's pragma ("" when none). */
  type: string;
  notNull: boolean;
  /** Default expression as SQLite stores it, or null. */
  default: string | null;
  /** Position in the primary key (0 = not part of it). */
  pk: number;
  /** Generated columns are hidden (2 virtual, 3 stored). */
  hidden: number;
}

export interface Index {
  name: string;
  unique: boolean;
  /** "c" CREATE INDEX, "u" UNIQUE constraint, "pk" PRIMARY KEY. */
  origin: string;
  partial: boolean;
  columns: string[];
  /** A partial index's condition, each top-level `AND` part normalised (case, spacing, quotes), sorted. */
  where?: string[];
}

export interface ForeignKey {
  /** The parent table. */
  table: string;
  from: string[];
  to: string[];
  onDelete: string;
  onUpdate: string;
}

/** A CHECK constraint, as the table's stored SQL writes it. */
export interface Check {
  /** The column whose definition holds it, or undefined for a table constraint. */
  column?: string;
  /**
   * The expression inside `CHECK ( … )`, re-spelled from its tokens: keywords and bare names lower-case, quoted
   * names double-quoted, strings as written. Re-spacing, comments and quoting style leave it unchanged.
   */
  expr: string;
}

export interface Table {
  name: string;
  columns: Column[];
  indexes: Index[];
  foreignKeys: ForeignKey[];
  checks: Check[];
}

export interface SchemaObject {
  type: "view" | "trigger";
  name: string;
  table: string;
  sql: string;
}

interface XInfo {
  name: string;
  type: string;
  notnull: number;
  dflt_value: string | null;
  pk: number;
  hidden: number;
}
interface IndexListRow {
  name: string;
  unique: number;
  origin: string;
  partial: number;
}
interface IndexInfoRow {
  name: string | null;
  key: number;
}
interface FkRow {
  id: number;
  table: string;
  from: string;
  to: string | null;
  on_update: string;
  on_delete: string;
}

const q = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** The top-level `AND` parts of a partial index's WHERE, normalised and sorted (see `Index.where`). */
function partialWhere(db: Database.Database, name: string): string[] {
  const row = db.prepare("SELECT sql FROM sqlite_schema WHERE type = 'index' AND name = ?").get(name) as
    | { sql: string | null }
    | undefined;
  const tokens = tokenize(row?.sql ?? "", Number.POSITIVE_INFINITY);
  const at = tokens.findIndex((t) => t.depth === 0 && t.kind === "word" && t.value === "WHERE");
  const parts: string[][] = [[]];
  for (const t of at < 0 ? [] : tokens.slice(at + 1)) {
    if (t.depth === 0 && t.kind === "word" && t.value === "AND") parts.push([]);
    else parts[parts.length - 1]?.push(t.kind === "string" ? `'${t.text}'` : t.text.toLowerCase());
  }
  return parts
    .map((p) => p.join(" "))
    .filter(Boolean)
    .sort();
}

/** Reads one table from SQLite, or undefined when no such table exists. Costs a few pragma lookups, not a scan. */
export function readTable(db: Database.Database, name: string): Table | undefined {
  // table_list(name) is a hash lookup; a sqlite_schema query would scan every object on every statement.
  const kind = (db.prepare(`PRAGMA main.table_list(${q(name)})`).all() as { type: string; name: string }[]).find(
    (r) => r.type === "table" || r.type === "virtual",
  );
  if (!kind) return undefined;
  const real = kind.name;
  const columns = (db.prepare(`PRAGMA table_xinfo(${q(real)})`).all() as XInfo[]).map((c) => ({
    name: c.name,
    type: c.type,
    notNull: c.notnull === 1,
    default: c.dflt_value,
    pk: c.pk,
    hidden: c.hidden,
  }));
  const indexes = (db.prepare(`PRAGMA index_list(${q(real)})`).all() as IndexListRow[]).map((ix) => ({
    name: ix.name,
    unique: ix.unique === 1,
    origin: ix.origin,
    partial: ix.partial === 1,
    columns: (db.prepare(`PRAGMA index_xinfo(${q(ix.name)})`).all() as IndexInfoRow[])
      .filter((r) => r.key === 1)
      .map((r) => r.name ?? "<expr>"),
    ...(ix.partial === 1 ? { where: partialWhere(db, ix.name) } : {}),
  }));
  const fkRows = db.prepare(`PRAGMA foreign_key_list(${q(real)})`).all() as FkRow[];
  const byId = new Map<number, ForeignKey>();
  for (const r of fkRows) {
    let fk = byId.get(r.id);
    if (!fk) {
      fk = { table: r.table, from: [], to: [], onDelete: r.on_delete, onUpdate: r.on_update };
      byId.set(r.id, fk);
    }
    fk.from.push(r.from);
    if (r.to !== null) fk.to.push(r.to);
  }
  return {
    name: real,
    columns,
    indexes: indexes.sort((a, b) => a.name.localeCompare(b.name)),
    foreignKeys: [...byId.values()],
    checks: checksOf(storedSql(db, real)),
  };
}

function storedSql(db: Database.Database, name: string): string {
  const row = db.prepare("SELECT sql FROM main.sqlite_schema WHERE type = 'table' AND name = ?").get(name) as
    | { sql: string | null }
    | undefined;
  return row?.sql ?? "";
}

/** Words that open a table constraint rather than a column definition. */
const TABLE_CONSTRAINT = new Set(["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"]);
/** Keywords after which "(" gets a space and a sign is unary: `x in ('a')`, `n > -1`, while `length(x)` stays a call. */
const KEYWORDS = new Set(["IN", "AND", "OR", "NOT", "EXISTS", "WHEN", "THEN", "ELSE", "IS", "LIKE", "GLOB", "BETWEEN"]);
/** SQLite's operators of more than one character, which the tokenizer returns one character at a time. */
const LONG_OPERATORS = new Set(["<>", "<=", ">=", "==", "!=", "||", "<<", ">>", "->", "->>"]);
const OPERATOR = /^[<>=!|&*/%+~-]+$/;

const isPunct = (t: Token | undefined, value: string) => t?.kind === "punct" && t.value === value;

/** Index of the ")" that closes the "(" at `open`. */
function closingParen(tokens: readonly Token[], open: number): number {
  const depth = tokens[open]?.depth ?? 0;
  for (let i = open + 1; i < tokens.length; i++) if (isPunct(tokens[i], ")") && tokens[i]?.depth === depth) return i;
  return tokens.length;
}

interface Piece {
  text: string;
  kind: "word" | "keyword" | "value" | "operator" | "punct";
}

/** Tokens as pieces of SQL: multi-character operators joined, names and strings quoted back. */
function piecesOf(tokens: readonly Token[]): Piece[] {
  const out: Piece[] = [];
  for (const t of tokens) {
    const last = out[out.length - 1];
    if (t.kind === "punct" && last?.kind === "operator" && LONG_OPERATORS.has(last.text + t.value)) {
      last.text += t.value;
      continue;
    }
    if (t.kind === "string") out.push({ text: `'${t.text.replace(/'/g, "''")}'`, kind: "value" });
    else if (t.kind === "ident") out.push({ text: `"${t.text.replace(/"/g, '""')}"`, kind: "value" });
    else if (t.kind === "number") out.push({ text: t.text, kind: "value" });
    else if (t.kind === "word")
      out.push({ text: t.text.toLowerCase(), kind: KEYWORDS.has(t.value) ? "keyword" : "word" });
    else out.push({ text: t.value, kind: OPERATOR.test(t.value) ? "operator" : "punct" });
  }
  return out;
}

/** Where a following sign is unary (`-1`), not a subtraction. */
const opensOperand = (p: Piece | undefined) =>
  !p || p.kind === "operator" || p.kind === "keyword" || p.text === "(" || p.text === ",";

function spaced(prev: Piece | undefined, before: Piece | undefined, next: Piece): boolean {
  if (!prev || prev.text === "(" || prev.text === ".") return false;
  if (next.text === "," || next.text === ")" || next.text === ".") return false;
  if (next.text === "(") return prev.kind === "keyword" || prev.kind === "operator";
  // No space after a unary sign.
  return !(prev.kind === "operator" && (prev.text === "-" || prev.text === "+") && opensOperand(before));
}

/**
 * Re-spells tokens as SQL with one canonical spacing, so two spellings of one expression compare equal.
 *
 * @example
 * sqlOf(tokenize(`"kind"  IN('a','b')`)); // `"kind" in ('a', 'b')`
 */
export function sqlOf(tokens: readonly Token[]): string {
  const pieces = piecesOf(tokens);
  return pieces.map((p, i) => (spaced(pieces[i - 1], pieces[i - 2], p) ? " " : "") + p.text).join("");
}

const isName = (t: Token | undefined) => t?.kind === "word" || t?.kind === "ident";

/** Drops `table.` before column names: a CHECK reads only its own row, and a rebuild renames the table it names. */
function unqualified(tokens: readonly Token[]): Token[] {
  return tokens.filter((t, i) => {
    if (isPunct(t, ".")) return !(isName(tokens[i - 1]) && isName(tokens[i + 1]));
    return !(isName(t) && isPunct(tokens[i + 1], ".") && isName(tokens[i + 2]));
  });
}

/**
 * The CHECK constraints of a `CREATE TABLE` statement, column and table constraints alike.
 *
 * @example
 * checksOf("CREATE TABLE t (kind TEXT CHECK (kind IN ('a', 'b')), n INT, CHECK (n > 0))");
 * // [{ column: "kind", expr: "kind in ('a', 'b')" }, { expr: "n > 0" }]
 */
export function checksOf(createSql: string): Check[] {
  // Most tables have none; skip the tokenizer for them (readTable runs on every statement).
  if (!/check/i.test(createSql)) return [];
  const tokens = tokenize(createSql, Number.MAX_SAFE_INTEGER);
  const open = tokens.findIndex((t) => t.depth === 0 && (isPunct(t, "(") || (t.kind === "word" && t.value === "AS")));
  if (!isPunct(tokens[open], "(")) return [];
  const out: Check[] = [];
  const columnAt = (i: number) => {
    const t = tokens[i];
    return t?.kind === "word" && TABLE_CONSTRAINT.has(t.value) ? undefined : nameOf(t);
  };
  let column = columnAt(open + 1);
  for (let i = open + 1; i < tokens.length && (tokens[i]?.depth ?? 0) > 0; i++) {
    const t = tokens[i];
    if (isPunct(t, ",") && t?.depth === 1) column = columnAt(i + 1);
    else if (t?.kind === "word" && t.value === "CHECK" && isPunct(tokens[i + 1], "(")) {
      const end = closingParen(tokens, i + 1);
      out.push({ ...(column !== undefined ? { column } : {}), expr: sqlOf(unqualified(tokens.slice(i + 2, end))) });
      i = end;
    }
  }
  return out;
}

/** Views and triggers are compared by their SQL; they are few, so one scan per view/trigger statement is fine. */
export function readObjects(db: Database.Database): SchemaObject[] {
  return db
    .prepare("SELECT type, name, tbl_name AS \"table\", sql FROM sqlite_schema WHERE type IN ('view','trigger')")
    .all() as SchemaObject[];
}

/** One view or trigger by name (case-insensitive), or undefined. */
export function readObject(db: Database.Database, type: "view" | "trigger", name: string): SchemaObject | undefined {
  return db
    .prepare(
      'SELECT type, name, tbl_name AS "table", sql FROM sqlite_schema WHERE type = ? AND name = ? COLLATE NOCASE',
    )
    .get(type, name) as SchemaObject | undefined;
}

export const quoteIdent = q;

/**
 * SQLite's column affinity of a declared type (datatype3.html §3.1): INT and INTEGER, VARCHAR(255) and TEXT mean
 * the same; STRING is NUMERIC.
 *
 * @example
 * affinity("VARCHAR(255)"); // "TEXT"
 */
export function affinity(type: string): "INTEGER" | "TEXT" | "BLOB" | "REAL" | "NUMERIC" {
  const t = type.toUpperCase();
  if (t.includes("INT")) return "INTEGER";
  if (/CHAR|CLOB|TEXT/.test(t)) return "TEXT";
  if (t === "" || t.includes("BLOB")) return "BLOB";
  if (/REAL|FLOA|DOUB/.test(t)) return "REAL";
  return "NUMERIC";
}
