import Database from "better-sqlite3";
import { type Check, type Column, quoteIdent, type Table } from "../sql/schema.js";
import { type Token, tokenize } from "../sql/tokens.js";

/** What a table's new CHECK constraints reject that its old ones let through. */

export type SqlValue = string | number | null;

export interface Narrowing {
  /** CHECKs of the new table that the old one does not have, as spelled (re-quoting is no change). */
  added: Check[];
  /** Rows (by the columns the CHECKs read) the old constraints accept and the new ones reject; old literals first. */
  rejected: Record<string, SqlValue>[];
  /** Strings the old CHECKs name and the new ones reject on their own: values the running version may write. */
  removed: { column: string; value: string }[];
  /** True when SQLite could not evaluate the constraints, so nothing is known about what they reject. */
  unknown: boolean;
}

const lc = (s: string) => s.toLowerCase();
/** Enough rows to try every old literal against every new one on two or three columns, still instant. */
const MAX_ROWS = 4096;

/** Literal values a CHECK names, with the sign of a negative number. */
function literals(tokens: readonly Token[]): SqlValue[] {
  const out: SqlValue[] = [];
  tokens.forEach((t, i) => {
    if (t.kind === "string") out.push(t.text);
    if (t.kind !== "number" || !/^\d+(\.\d+)?$/.test(t.text)) return;
    const n = Number(t.text);
    out.push(tokens[i - 1]?.value === "-" ? -n : n);
  });
  return out;
}

/** Values near each literal: the boundary and both sides of it, and strings of a compared length. */
function around(value: SqlValue): SqlValue[] {
  if (typeof value === "string") return [value, `${value}_x`, value.toUpperCase()];
  if (typeof value !== "number") return [value];
  const near: SqlValue[] = [value, value - 1, value + 1];
  if (Number.isInteger(value) && value >= 0 && value <= 10_000) near.push("a".repeat(value), "a".repeat(value + 1));
  return near;
}

const GENERIC: SqlValue[] = [null, "", "other", 0, 1, -1];

function readsColumn(tokens: readonly Token[], column: string): boolean {
  return tokens.some((t) => (t.kind === "word" || t.kind === "ident") && lc(t.text) === lc(column));
}

interface Candidate {
  column: string;
  values: SqlValue[];
}

/** Per column the CHECKs read: the old CHECKs' literals first (what was allowed), then the new ones', then generic. */
function candidates(before: Table, after: Table, columns: readonly string[]): Candidate[] {
  const parsed = (t: Table) => t.checks.map((c) => tokenize(c.expr, Number.MAX_SAFE_INTEGER));
  const old = parsed(before);
  const now = parsed(after);
  const out: Candidate[] = [];
  for (const column of columns) {
    const reading = (list: Token[][]) => list.filter((t) => readsColumn(t, column)).flatMap(literals);
    const values = [...reading(old), ...reading(now), ...GENERIC].flatMap(around);
    const seen = new Set<string>();
    const unique = values.filter((v) => {
      const key = `${typeof v}:${String(v)}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    out.push({ column, values: unique });
  }
  return out;
}

/**
 * Each column's values alone (the others NULL), then, for CHECKs over several columns, the combinations, each list
 * cut so the product stays under MAX_ROWS.
 */
function rowsOf(list: readonly Candidate[]): Record<string, SqlValue>[] {
  const singles = list.flatMap(({ column, values }) => values.map((v) => ({ [column]: v })));
  if (list.length < 2) return singles;
  const per = Math.max(2, Math.floor(MAX_ROWS ** (1 / list.length)));
  let rows: Record<string, SqlValue>[] = [{}];
  for (const { column, values } of list)
    rows = rows.flatMap((r) => values.slice(0, per).map((v) => ({ ...r, [column]: v })));
  return [...singles, ...rows];
}

/** A table of the given columns (declared types, so values get the same affinity) under the given CHECKs. */
function tableSql(name: string, columns: ReadonlyMap<string, string>, checks: readonly Check[]): string {
  const cols = [...columns].map(([c, type]) => `${quoteIdent(c)} ${type}`);
  return `CREATE TABLE ${name} (${[...cols, ...checks.map((c) => `CHECK (${c.expr})`)].join(", ")})`;
}

function accepts(db: Database.Database, table: string, row: Record<string, SqlValue>): boolean {
  const cols = Object.keys(row);
  try {
    db.prepare(
      `INSERT INTO ${table} (${cols.map(quoteIdent).join(", ")}) VALUES (${cols.map(() => "?").join(", ")})`,
    ).run(...cols.map((c) => row[c] ?? null));
    return true;
  } catch {
    return false;
  }
}

/** Per NOT NULL column, a value `takes` accepts alone (one of its candidates), else a stand-in of its type. */
function notNullFill(
  columns: readonly Column[],
  list: readonly Candidate[],
  takes: (column: string, value: SqlValue) => boolean,
): Map<string, SqlValue> {
  const fill = new Map<string, SqlValue>();
  for (const col of columns) {
    const tried = list.find((l) => lc(l.column) === lc(col.name))?.values ?? [];
    const ok = tried.find((v) => v !== null && takes(col.name, v));
    fill.set(col.name, ok ?? (/INT|REAL|FLOA|DOUB|NUM/i.test(col.type) ? 1 : "x"));
  }
  return fill;
}

/** The rows the old CHECKs accept and the new ones reject, tried on an in-memory SQLite. */
function rejectedRows(before: Table, after: Table, list: readonly Candidate[]): Record<string, SqlValue>[] {
  const types = new Map<string, string>();
  for (const c of [...before.columns, ...after.columns])
    if (c.hidden === 0 && !types.has(lc(c.name))) types.set(lc(c.name), c.type);
  const db = new Database(":memory:");
  try {
    db.exec(tableSql("old_t", types, before.checks));
    db.exec(tableSql("new_t", types, after.checks));
    // The old table never held NULL in its NOT NULL columns: a row rejected only for such a NULL is no old row.
    // Each gets a value the old table accepts alone (one of its candidates), else a stand-in of its type.
    const fill = notNullFill(
      before.columns.filter((c) => c.notNull && c.pk === 0),
      list,
      (column, v) => accepts(db, "old_t", { [column]: v }),
    );
    const filled = (r: Record<string, SqlValue>) => {
      const out = { ...r };
      for (const [c, v] of fill) if ((out[c] ?? null) === null) out[c] = v;
      return out;
    };
    // A value in a column the old table lacks is no old row either: the copy and the running version leave it NULL.
    const had = new Set(before.columns.map((c) => lc(c.name)));
    const oldRow = (r: Record<string, SqlValue>) =>
      Object.entries(r).every(([c, v]) => v === null || had.has(lc(c))) && accepts(db, "old_t", r);
    // The row with its NOT NULL columns filled must still be one the old table takes, and one the new one refuses.
    const refused = (r: Record<string, SqlValue>) => accepts(db, "old_t", r) && !accepts(db, "new_t", r);
    return rowsOf(list).filter((r) => oldRow(r) && !accepts(db, "new_t", r) && refused(filled(r)));
  } finally {
    db.close();
  }
}

/**
 * How a table's CHECK constraints narrow from `before` to `after`: undefined when the new table adds no CHECK
 * (by spelling) or every row the old one accepts still passes, which is true of a widened IN list or a re-ordered
 * one. Old and new constraints are tried on real SQLite, with each old literal and values around the new bounds.
 *
 * @example
 * narrowing(before, after)?.removed; // [{ column: "category", value: "archived" }]
 */
export function narrowing(before: Table, after: Table): Narrowing | undefined {
  const had = new Set(before.checks.map((c) => c.expr));
  // A CHECK only on columns the old table lacks constrains values the running version never writes.
  const old = (c: Check) =>
    before.columns.some((col) => readsColumn(tokenize(c.expr, Number.MAX_SAFE_INTEGER), col.name));
  const added = after.checks.filter((c) => !had.has(c.expr) && old(c));
  if (added.length === 0) return undefined;
  const exprs = [...before.checks, ...after.checks].map((c) => tokenize(c.expr, Number.MAX_SAFE_INTEGER));
  const read = [...before.columns, ...after.columns]
    .map((c) => c.name)
    .filter((c, i, all) => all.findIndex((x) => lc(x) === lc(c)) === i && exprs.some((e) => readsColumn(e, c)));
  const list = candidates(before, after, read);
  let rejected: Record<string, SqlValue>[];
  try {
    rejected = rejectedRows(before, after, list);
  } catch {
    return { added, rejected: [], removed: [], unknown: true };
  }
  if (rejected.length === 0) return undefined;
  return { added, rejected, removed: removedStrings(before, rejected), unknown: false };
}

/** Old string literals the new CHECKs reject with every other column NULL: values, not combinations. */
function removedStrings(
  before: Table,
  rejected: readonly Record<string, SqlValue>[],
): { column: string; value: string }[] {
  const out: { column: string; value: string }[] = [];
  const oldLiterals = new Set(
    before.checks
      .flatMap((c) => literals(tokenize(c.expr, Number.MAX_SAFE_INTEGER)))
      .filter((v) => typeof v === "string"),
  );
  const alone = (r: Record<string, SqlValue>) => Object.entries(r).filter(([, v]) => v !== null);
  for (const r of rejected) {
    const set = alone(r);
    const [column, value] = set[0] ?? [];
    if (set.length !== 1 || column === undefined || typeof value !== "string" || !oldLiterals.has(value)) continue;
    if (!out.some((o) => o.column === column && o.value === value)) out.push({ column, value });
  }
  return out;
}

/** A table of `table`'s columns with their types, NOT NULLs, defaults and CHECKs, but no keys or foreign keys. */
function looseTableSql(name: string, table: Table): string {
  const cols = table.columns
    .filter((c) => c.hidden === 0)
    .map(
      (c) =>
        `${quoteIdent(c.name)} ${c.type}${c.notNull ? " NOT NULL" : ""}${c.default === null ? "" : ` DEFAULT (${c.default})`}`,
    );
  return `CREATE TABLE ${quoteIdent(name)} (${[...cols, ...table.checks.map((c) => `CHECK (${c.expr})`)].join(", ")})`;
}

/**
 * Whether a rebuild's copy statement, run as written, keeps every row the old table can hold against the new
 * table's NOT NULLs, defaults and CHECKs (keys are judged apart). Tried on an in-memory SQLite with rows built from
 * both tables' CHECK literals and generic values, one column varied at a time and the old NOT NULLs filled; a copy
 * SQLite cannot run counts as one that may lose rows.
 *
 * @example
 * // category TEXT NOT NULL CHECK (category IN ('a','other')), filled by CASE WHEN category IN ('a') THEN category ELSE 'other' END
 * copyKeepsRows({ before, after, from: "links", into: "links_new", sql }); // true
 */
export function copyKeepsRows({
  before,
  after,
  from,
  into,
  sql,
}: {
  before: Table;
  after: Table;
  from: string;
  into: string;
  sql: string;
}): boolean {
  const db = new Database(":memory:");
  try {
    db.exec(looseTableSql(from, before));
    db.exec(looseTableSql(into, after));
    const columns = before.columns.filter((c) => c.hidden === 0).map((c) => c.name);
    const list = candidates(before, after, columns);
    const source = quoteIdent(from);
    const fill = notNullFill(
      before.columns.filter((c) => c.notNull && c.hidden === 0),
      list,
      (column, v) => {
        db.exec("SAVEPOINT probe");
        const taken = accepts(db, source, { [column]: v });
        db.exec("ROLLBACK TO probe; RELEASE probe");
        return taken;
      },
    );
    for (const { column, values } of list)
      for (const v of values)
        accepts(db, source, { ...Object.fromEntries(fill), [column]: v ?? fill.get(column) ?? null });
    const count = (t: string) => (db.prepare(`SELECT count(*) AS n FROM ${quoteIdent(t)}`).get() as { n: number }).n;
    const held = count(from);
    db.exec(sql);
    return held > 0 && count(into) === held;
  } catch {
    return false;
  } finally {
    db.close();
  }
}
