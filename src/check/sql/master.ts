import Database from "better-sqlite3";
import { quoteIdent } from "./schema.js";
import { type Token, tokenize } from "./tokens.js";

/**
 * The schema and rows of the replayed database kept outside SQLite, so that each migration file can run on a small
 * database holding only what it can touch. SQLite re-parses its whole schema after every ALTER TABLE, so one
 * database that grows with the history makes each ALTER cost O(schema) and the history O(N²).
 */

export type ObjectType = "table" | "index" | "view" | "trigger";

export interface MasterObject {
  type: ObjectType;
  name: string;
  tblName: string;
  sql: string;
  /** Position in sqlite_schema: SQLite fires triggers and checks the schema in this order. */
  seq: number;
}

interface TableRows {
  /** Stored (not generated) columns, in order. */
  columns: string[];
  /** The rowid alias to read and write, or undefined for WITHOUT ROWID tables (and when every alias is a column). */
  rowid?: string;
  rows: unknown[][];
  /** PRIMARY KEY columns, lower-cased: what a foreign key without a column list references. */
  primaryKey: string[];
}

export interface ClosureOptions {
  /** The file changes rows (so foreign key children are checked or changed). */
  writesRows?: boolean;
  /** The file renames a table or column, or drops a column: SQLite reads every view and trigger. */
  schemaWide?: boolean;
  /**
   * Tables the file writes only by plain UPDATEs, with the columns they assign (lower-cased). SQLite does no foreign
   * key work for children of a row whose key stays (no check, no action), so such a table's children are left out
   * unless a column a child references is assigned.
   */
  updatesOnly?: ReadonlyMap<string, ReadonlySet<string>>;
}

interface ForeignKeyEdge {
  parent: string;
  /** The child's foreign key it belongs to (one edge per column). */
  id: number;
  /** The parent column referenced (lower-cased), or undefined for its PRIMARY KEY. */
  to: string | undefined;
  /** ON DELETE / ON UPDATE change the child's rows (CASCADE, SET NULL, SET DEFAULT). */
  modifiesChild: boolean;
}

/** A schema change that moves an object's identity: SQLite keeps a renamed object's place, not a re-created one's. */
export type SchemaEvent =
  | { drop: "table" | "view" | "index" | "trigger"; name: string }
  | { rename: string; to: string };

interface Built {
  db: Database.Database;
  /** SQLite's total_changes() once the copy was made: more after the file means rows changed. */
  changes: number;
  /** sqlite_schema rowid → master key of every object copied in. */
  initial: Map<number, string>;
  keys: Set<string>;
}

interface SchemaRow {
  rowid: number;
  type: ObjectType;
  name: string;
  tbl_name: string;
  sql: string | null;
}

const lc = (s: string) => s.toLowerCase();
const keyOf = (type: ObjectType, name: string) => `${type === "trigger" ? "trigger" : "rel"}:${lc(name)}`;
const MODIFYING = new Set(["CASCADE", "SET NULL", "SET DEFAULT"]);
const NAME_KINDS = new Set<Token["kind"]>(["word", "ident", "string", "number"]);
const ROWID_NAMES = ["rowid", "_rowid_", "oid"];

/** A queued object: `active` when rows of it may be written; `assigns` when only by UPDATEs of these columns. */
interface Queued {
  key: string;
  active: boolean;
  assigns?: ReadonlySet<string>;
}

/** Lower-cased names a piece of SQL may refer to (every word, identifier and string: a superset). */
export function namesIn(sql: string): Set<string> {
  const out = new Set<string>();
  for (const t of tokenize(sql, Number.POSITIVE_INFINITY)) if (NAME_KINDS.has(t.kind)) out.add(lc(t.text));
  return out;
}

/**
 * The master copy: every schema object (as sqlite_schema holds it), every table's rows and AUTOINCREMENT counter.
 *
 * @example
 * const master = MasterSchema.read(db);
 * const part = master.build(master.closure(namesIn("ALTER TABLE orders ADD COLUMN note TEXT")));
 */
export class MasterSchema {
  private readonly objects = new Map<string, MasterObject>();
  private readonly rows = new Map<string, TableRows>();
  private readonly sequence = new Map<string, unknown>();
  private readonly fks = new Map<string, ForeignKeyEdge[]>();
  private readonly byTable = new Map<string, Set<string>>();
  private readonly children = new Map<string, Set<string>>();
  private readonly bodyNames = new Map<string, Set<string>>();
  private readonly firesOn = new Map<string, TriggerEvent>();
  private seq = 0;

  /** Reads every object and row of `db` (its main schema). */
  static read(db: Database.Database): MasterSchema {
    const m = new MasterSchema();
    m.absorb(db, new Map(), new Set(), []);
    return m;
  }

  /** Every key, for a file that must see the whole database. */
  all(): Set<string> {
    return new Set(this.objects.keys());
  }

  /** Rows of one table as arrays of stored column values (for the migrations table: names applied). */
  rowsOf(table: string): { columns: string[]; rows: unknown[][] } | undefined {
    return this.rows.get(lc(table));
  }

  /** Whether the migrations table kept here already holds `name` (a migration wrote it itself). */
  migrationRecorded(table: string, name: string): boolean {
    const data = this.rows.get(lc(table));
    // Rows are [rowid, id, name, applied_at] in wrangler's shape.
    return data?.columns.join(",") === "id,name,applied_at" && data.rows.some((r) => r[2] === name);
  }

  /**
   * Records a migration as applied in the migrations table kept here (it is not in the part unless the file names it):
   * the row SQLite would write (`id` from the AUTOINCREMENT counter, `applied_at` as CURRENT_TIMESTAMP). False when
   * the table is not wrangler's shape, so the caller copies it into the part instead.
   */
  recordMigration(table: string, name: string): boolean {
    const data = this.rows.get(lc(table));
    if (!data || data.rowid === undefined || data.columns.join(",") !== "id,name,applied_at") return false;
    // AUTOINCREMENT keeps the counter at or above every id ever used; scan only before the first row.
    const seq = this.sequence.get(lc(table)) as bigint | number | undefined;
    let last = BigInt(seq ?? 0);
    if (seq === undefined) for (const r of data.rows) if (typeof r[0] === "bigint" && r[0] > last) last = r[0];
    const id = last + 1n;
    this.sequence.set(lc(table), id);
    const now = new Date().toISOString().replace("T", " ").slice(0, 19);
    data.rows.push([id, id, name, now]);
    return true;
  }

  /** True when the table is kept here (not dropped by an earlier file). */
  has(table: string): boolean {
    return this.objects.get(keyOf("table", table))?.type === "table";
  }

  /** The master key of a table, for asking whether a part holds it. */
  static tableKey(table: string): string {
    return keyOf("table", table);
  }

  /**
   * The objects a file can touch, from the names its statements spell (`names`, a superset) and the tables it may
   * write rows to (`writes`): every named object, with the indexes of each table and what each view reads; for a
   * table written to, its triggers (and what they write), its foreign key parents (checked on insert) and, when rows
   * change (`writesRows`), its children (checked, or changed by an action and then written to themselves).
   */
  closure(
    names: Iterable<string>,
    writes: Iterable<string>,
    { writesRows = true, schemaWide = false, updatesOnly }: ClosureOptions = {},
  ): Set<string> {
    const out = new Set<string>();
    // Activated as written in any way, and activated as written only by key-keeping UPDATEs.
    const active = new Set<string>();
    const keyKept = new Set<string>();
    const queue: Queued[] = [];
    for (const n of names) {
      for (const type of ["table", "trigger"] as const) queue.push({ key: keyOf(type, n), active: false });
      // A rename rewrites the children's REFERENCES.
      if (schemaWide) for (const c of this.children.get(n) ?? []) queue.push({ key: keyOf("table", c), active: false });
      // A table the file may make has no place here yet, but children already reference it: rows it gets or loses
      // (also through actions from its own parents) reach them.
      if (writesRows && !this.objects.has(keyOf("table", n)))
        for (const c of this.children.get(n) ?? []) queue.push({ key: keyOf("table", c), active: true });
    }
    for (const n of writes) {
      const assigns = updatesOnly?.get(lc(n));
      queue.push({ key: keyOf("table", n), active: true, ...(assigns ? { assigns } : {}) });
    }
    if (schemaWide) this.everyViewAndTrigger(queue);
    while (queue.length > 0) {
      const next = queue.pop();
      if (!next) break;
      const o = this.objects.get(next.key);
      if (!o) continue;
      const first = !out.has(next.key);
      out.add(next.key);
      if (o.type === "index" || o.type === "trigger") {
        if (first) queue.push({ key: keyOf("table", o.tblName), active: false });
        continue;
      }
      if (first) this.passive(o, queue);
      if (!next.active || active.has(next.key)) continue;
      // A REPLACE conflict clause deletes rows in the way: such a table is written in every way.
      const assigns = next.assigns && !/\bREPLACE\b/i.test(o.sql) ? next.assigns : undefined;
      if (assigns) {
        if (keyKept.has(next.key)) continue;
        keyKept.add(next.key);
      } else active.add(next.key);
      this.activate(o, queue, writesRows && !(assigns && !this.assignsKey(o, assigns)), assigns);
    }
    return out;
  }

  /**
   * ALTER TABLE … RENAME and DROP COLUMN re-check every view and trigger in the schema (one that no longer resolves
   * fails the statement) and rewrite those that name the table: all of them, with the tables they read.
   */
  private everyViewAndTrigger(queue: Queued[]): void {
    for (const [key, o] of this.objects) {
      if (o.type !== "view" && o.type !== "trigger") continue;
      queue.push({ key, active: false });
      for (const n of this.bodyNames.get(key) ?? []) queue.push({ key: keyOf("table", n), active: false });
    }
  }

  /** What any copied table or view needs to exist as it does: a table's indexes, the names a view reads. */
  private passive(o: MasterObject, queue: Queued[]): void {
    const name = lc(o.name);
    for (const k of this.byTable.get(name) ?? [])
      if (this.objects.get(k)?.type === "index") queue.push({ key: k, active: false });
    if (o.type === "view")
      for (const n of this.bodyNames.get(keyOf("view", name)) ?? [])
        queue.push({ key: keyOf("table", n), active: false });
  }

  /** A table or view written to: its triggers and what they write, parents, and (when rows change) its children. */
  private activate(o: MasterObject, queue: Queued[], writesRows: boolean, assigns?: ReadonlySet<string>): void {
    const name = lc(o.name);
    for (const k of this.byTable.get(name) ?? []) {
      if (this.objects.get(k)?.type !== "trigger") continue;
      queue.push({ key: k, active: false });
      // A plain UPDATE fires only UPDATE triggers (of a column it assigns, when they list columns).
      const on = this.firesOn.get(k);
      if (assigns && on && (on.event !== "UPDATE" || (on.columns && !on.columns.some((c) => assigns.has(c))))) continue;
      // A trigger body may write to any table it names.
      for (const n of this.bodyNames.get(k) ?? []) queue.push({ key: keyOf("table", n), active: true });
    }
    if (o.type === "view") {
      for (const n of this.bodyNames.get(keyOf("view", name)) ?? [])
        queue.push({ key: keyOf("table", n), active: true });
      return;
    }
    for (const fk of this.fks.get(name) ?? []) queue.push({ key: keyOf("table", fk.parent), active: false });
    // Children matter only when parent rows come, go or change key: they are checked, or changed by an action.
    if (!writesRows) return;
    for (const child of this.children.get(name) ?? []) {
      const modifies = (this.fks.get(child) ?? []).some((fk) => lc(fk.parent) === name && fk.modifiesChild);
      queue.push({ key: keyOf("table", child), active: modifies });
    }
  }

  /**
   * Whether assigning `columns` of table `o` can change a key a child references. Unsure counts as yes.
   */
  private assignsKey(o: MasterObject, columns: ReadonlySet<string>): boolean {
    if (o.type !== "table") return true;
    if (ROWID_NAMES.some((c) => columns.has(c))) return true;
    const name = lc(o.name);
    const primaryKey = this.rows.get(name)?.primaryKey;
    if (!primaryKey) return true;
    const keys = new Map<string, (string | undefined)[]>();
    for (const child of this.children.get(name) ?? [])
      for (const fk of this.fks.get(child) ?? [])
        if (lc(fk.parent) === name) keys.set(`${child}\0${fk.id}`, [...(keys.get(`${child}\0${fk.id}`) ?? []), fk.to]);
    for (const to of keys.values()) {
      // SQLite looks up the parent index of every child key on any UPDATE (a mismatch fails it): only a key that is
      // exactly the PRIMARY KEY is sure to be found.
      const referenced = to.map((c, i) => c ?? primaryKey[i]);
      const exact =
        to.length === primaryKey.length && referenced.every((c) => c !== undefined && primaryKey.includes(c));
      if (!exact || referenced.some((c) => c !== undefined && columns.has(c))) return true;
    }
    return false;
  }

  /** A fresh in-memory database holding `keys` (in sqlite_schema order) with their rows. */
  build(keys: Set<string>): Built {
    const db = new Database(":memory:");
    db.pragma("foreign_keys = OFF");
    const list = [...keys].flatMap((k) => this.objects.get(k) ?? []).sort((a, b) => a.seq - b.seq);
    db.exec("BEGIN");
    let pending: string[] = [];
    for (const o of list) {
      pending.push(o.sql);
      // A table's rows go in before any trigger on it exists: triggers always come after their table.
      if (o.type !== "table" || !this.rows.get(lc(o.name))?.rows.length) continue;
      db.exec(pending.join(";\n"));
      pending = [];
      this.insertRows(db, o.name);
    }
    if (pending.length > 0) db.exec(pending.join(";\n"));
    this.restoreSequence(db, list);
    db.exec("COMMIT");
    db.pragma("foreign_keys = ON");
    const initial = new Map<number, string>();
    for (const r of schemaRows(db)) initial.set(r.rowid, keyOf(r.type, r.name));
    return { db, initial, keys, changes: totalChanges(db) };
  }

  private insertRows(db: Database.Database, table: string): void {
    const data = this.rows.get(lc(table));
    if (!data || data.rows.length === 0) return;
    const cols = [...(data.rowid ? [data.rowid] : []), ...data.columns];
    const insert = db.prepare(
      `INSERT INTO ${quoteIdent(table)} (${cols.map(quoteIdent).join(", ")}) VALUES (${cols.map(() => "?").join(", ")})`,
    );
    for (const row of data.rows) insert.run(data.rowid ? row : row.slice(1));
  }

  private restoreSequence(db: Database.Database, list: readonly MasterObject[]): void {
    if (!db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_sequence'").get()) return;
    db.exec("DELETE FROM sqlite_sequence");
    const put = db.prepare("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)");
    for (const o of list) {
      const seq = this.sequence.get(lc(o.name));
      if (o.type === "table" && seq !== undefined) put.run(o.name, seq);
    }
  }

  /** Takes back what a file left in a part: objects (keeping the place of those that were there), rows, counters. */
  writeBack(part: Built, events: readonly SchemaEvent[]): void {
    this.absorb(part.db, part.initial, part.keys, events, totalChanges(part.db) !== part.changes);
  }

  private absorb(
    db: Database.Database,
    initial: Map<number, string>,
    keys: Set<string>,
    events: readonly SchemaEvent[],
    rowsChanged = true,
  ): void {
    const survivors = survivingIdentity(initial, this.objects, events);
    const kept = new Map<string, MasterObject>();
    const data = new Map<string, { rows?: TableRows; fks?: ForeignKeyEdge[] }>();
    for (const k of keys) {
      const o = this.objects.get(k);
      if (o) kept.set(k, o);
      if (o?.type === "table") data.set(k, { rows: this.rows.get(lc(o.name)), fks: this.fks.get(lc(o.name)) });
      this.forget(k);
    }
    for (const r of schemaRows(db)) {
      if (r.sql === null) continue;
      const was = survivors.get(r.rowid);
      const before = was && was.type === r.type && was.name === lc(r.name) ? kept.get(was.key) : undefined;
      const o: MasterObject = {
        type: r.type,
        name: r.name,
        tblName: r.tbl_name,
        sql: r.sql,
        seq: before?.seq ?? ++this.seq,
      };
      this.remember(o);
      if (o.type !== "table") continue;
      // Rows and foreign keys of a table the file left as it was are still right.
      const old = before && before.sql === o.sql && !rowsChanged ? data.get(keyOf("table", before.name)) : undefined;
      if (old?.rows && old.fks) this.keepTable(o.name, old.rows, old.fks);
      else this.readTable(db, o.name);
    }
    if (db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_sequence'").get())
      for (const s of db.prepare("SELECT name, seq FROM sqlite_sequence").safeIntegers(true).all() as {
        name: string;
        seq: unknown;
      }[])
        if (this.objects.has(keyOf("table", s.name))) this.sequence.set(lc(s.name), s.seq);
  }

  private forget(key: string): void {
    const o = this.objects.get(key);
    if (!o) return;
    this.objects.delete(key);
    this.bodyNames.delete(key);
    this.firesOn.delete(key);
    this.byTable.get(lc(o.tblName))?.delete(key);
    if (o.type !== "table") return;
    const name = lc(o.name);
    this.rows.delete(name);
    this.sequence.delete(name);
    for (const fk of this.fks.get(name) ?? []) this.children.get(lc(fk.parent))?.delete(name);
    this.fks.delete(name);
  }

  private remember(o: MasterObject): void {
    const key = keyOf(o.type, o.name);
    this.objects.set(key, o);
    if (o.type !== "table") {
      const set = this.byTable.get(lc(o.tblName)) ?? new Set<string>();
      set.add(key);
      this.byTable.set(lc(o.tblName), set);
    }
    if (o.type === "view" || o.type === "trigger") this.bodyNames.set(key, namesIn(o.sql));
    const on = o.type === "trigger" ? triggerEvent(o.sql) : undefined;
    if (on) this.firesOn.set(key, on);
  }

  private keepTable(name: string, rows: TableRows, fks: ForeignKeyEdge[]): void {
    this.rows.set(lc(name), rows);
    this.linkForeignKeys(name, fks);
  }

  private readTable(db: Database.Database, name: string): void {
    const t = quoteIdent(name);
    const info = db.prepare(`PRAGMA table_xinfo(${t})`).all() as { name: string; hidden: number; pk: number }[];
    const columns = info.filter((c) => c.hidden === 0).map((c) => c.name);
    const listed = db.prepare(`PRAGMA table_list(${t})`).get() as { wr: number } | undefined;
    const taken = new Set(info.map((c) => lc(c.name)));
    const rowid = listed?.wr ? undefined : ROWID_NAMES.find((a) => !taken.has(a));
    const cols = [rowid ?? "NULL", ...columns.map(quoteIdent)].join(", ");
    const rows = db.prepare(`SELECT ${cols} FROM ${t}`).raw(true).safeIntegers(true).all() as unknown[][];
    const primaryKey = info
      .filter((c) => c.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((c) => lc(c.name));
    this.rows.set(lc(name), { columns, rowid, rows, primaryKey });
    const edges: ForeignKeyEdge[] = [];
    for (const fk of db.prepare(`PRAGMA foreign_key_list(${t})`).all() as {
      id: number;
      table: string;
      to: string | null;
      on_delete: string;
      on_update: string;
    }[])
      edges.push({
        parent: fk.table,
        id: fk.id,
        to: fk.to === null ? undefined : lc(fk.to),
        modifiesChild: MODIFYING.has(fk.on_delete) || MODIFYING.has(fk.on_update),
      });
    this.linkForeignKeys(name, edges);
  }

  private linkForeignKeys(name: string, edges: ForeignKeyEdge[]): void {
    this.fks.set(lc(name), edges);
    for (const e of edges) {
      const set = this.children.get(lc(e.parent)) ?? new Set<string>();
      set.add(lc(name));
      this.children.set(lc(e.parent), set);
    }
  }
}

interface TriggerEvent {
  event: "INSERT" | "DELETE" | "UPDATE";
  /** `UPDATE OF a, b`: the columns (lower-cased). */
  columns?: string[];
}

const TRIGGER_EVENTS = new Set(["INSERT", "DELETE", "UPDATE"]);

/** The event a CREATE TRIGGER fires on, from its head (up to ON); undefined when unsure. */
export function triggerEvent(sql: string): TriggerEvent | undefined {
  const tokens = tokenize(sql, 64);
  const at = tokens.findIndex((t, i) => i > 2 && t.kind === "word" && TRIGGER_EVENTS.has(t.value));
  const event = tokens[at]?.value as TriggerEvent["event"] | undefined;
  if (!event) return undefined;
  if (event !== "UPDATE" || tokens[at + 1]?.value !== "OF") return { event };
  const columns: string[] = [];
  for (let i = at + 2; tokens[i] && !(tokens[i]?.kind === "word" && tokens[i]?.value === "ON"); i++) {
    const t = tokens[i];
    if (t && t.value !== ",") columns.push(t.text.toLowerCase());
  }
  return { event, columns };
}

function totalChanges(db: Database.Database): number {
  return (db.prepare("SELECT total_changes() AS n").get() as { n: number }).n;
}

function schemaRows(db: Database.Database): SchemaRow[] {
  return db
    .prepare(
      "SELECT rowid, type, name, tbl_name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid",
    )
    .all() as SchemaRow[];
}

/**
 * Which rows of the part's sqlite_schema are objects that were copied in (rowid → master key and current name), following
 * renames; an object dropped during the file is gone even if SQLite hands its rowid to a new one.
 */
function survivingIdentity(
  initial: Map<number, string>,
  objects: Map<string, MasterObject>,
  events: readonly SchemaEvent[],
): Map<number, { key: string; type: ObjectType; name: string }> {
  // Current (lower-cased) name and owner table of each copied object, by rowid.
  const live = new Map<number, { key: string; type: ObjectType; name: string; tbl: string }>();
  for (const [rowid, key] of initial) {
    const o = objects.get(key);
    if (o) live.set(rowid, { key, type: o.type, name: lc(o.name), tbl: lc(o.tblName) });
  }
  for (const e of events) {
    if ("rename" in e) {
      for (const o of live.values()) {
        if (o.tbl === lc(e.rename)) o.tbl = lc(e.to);
        if (o.type === "table" && o.name === lc(e.rename)) o.name = lc(e.to);
      }
      continue;
    }
    const name = lc(e.name);
    for (const [rowid, o] of live) {
      const own = o.type === e.drop && o.name === name;
      const dependent =
        (e.drop === "table" || e.drop === "view") && o.type !== "table" && o.type !== "view" && o.tbl === name;
      if (own || dependent) live.delete(rowid);
    }
  }
  return live;
}

/**
 * Everything a database holds, as text, for comparing two replays: sqlite_schema in order, AUTOINCREMENT counters,
 * and every table's rows with their storage classes (columns whose default reads the clock by class only).
 *
 * @example
 * dumpDatabase(a) === dumpDatabase(b); // same objects in the same order, same rows
 */
export function dumpDatabase(db: Database.Database): string {
  const objects = db
    .prepare(
      "SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid",
    )
    .all() as { type: string; name: string; sql: string | null }[];
  const parts = [JSON.stringify(objects)];
  if (db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_sequence'").get())
    parts.push(JSON.stringify(db.prepare("SELECT name, seq FROM sqlite_sequence ORDER BY name").all()));
  for (const o of objects) {
    if (o.type !== "table" || /^CREATE VIRTUAL/i.test(o.sql ?? "")) continue;
    const t = quoteIdent(o.name);
    const info = db.prepare(`PRAGMA table_xinfo(${t})`).all() as {
      name: string;
      hidden: number;
      dflt_value: string | null;
    }[];
    const listed = db.prepare(`PRAGMA table_list(${t})`).get() as { wr: number } | undefined;
    const taken = new Set(info.map((c) => lc(c.name)));
    const rowid = listed?.wr ? undefined : ROWID_NAMES.find((a) => !taken.has(a));
    const cols = info
      .filter((c) => c.hidden === 0)
      .map((c) =>
        /now|current_/i.test(c.dflt_value ?? "")
          ? `typeof(${quoteIdent(c.name)})`
          : `typeof(${quoteIdent(c.name)}) || ':' || quote(${quoteIdent(c.name)})`,
      );
    const select = [rowid ?? "NULL", ...cols].join(", ");
    const order = rowid ?? cols.map((_, i) => i + 2).join(", ");
    const rows = db.prepare(`SELECT ${select} FROM ${t} ORDER BY ${order}`).raw(true).all();
    parts.push(`${o.name}: ${JSON.stringify(rows)}`);
  }
  return parts.join("\n");
}
