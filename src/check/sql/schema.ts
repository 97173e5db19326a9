import type Database from "better-sqlite3";

/** The schema model that migrations are diffed on, read from SQLite's own pragmas (not parsed from SQL). */

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
}

export interface ForeignKey {
  /** The parent table. */
  table: string;
  from: string[];
  to: string[];
  onDelete: string;
  onUpdate: string;
}

export interface Table {
  name: string;
  columns: Column[];
  indexes: Index[];
  foreignKeys: ForeignKey[];
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
  };
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
