import type { Change } from "../sql/diff.js";
import { affinity, type Column, type Table } from "../sql/schema.js";
import { tokenize } from "../sql/tokens.js";
import { copyKeepsRows } from "./check-constraints.js";
import { plainItem } from "./kept-children.js";
import { insertSelectParts } from "./net-effect.js";
import { soleSource } from "./row-bounds.js";
import type { MigrationFile } from "./rule.js";

/** Keys a rebuild's new table gets from the old one: unique by construction when copied from a unique key. */

const lc = (s: string) => s.toLowerCase();
const ROWID = new Set(["rowid", "oid", "_rowid_"]);
type Rebuild = Extract<Change, { kind: "modify-table" }> & { line: number };

/** The old table's unique keys: its PRIMARY KEY, its whole-table unique indexes on plain columns, and the rowid. */
function keysOf(table: Table): string[][] {
  const pk = table.columns.filter((c) => c.pk > 0).map((c) => lc(c.name));
  const unique = table.indexes
    .filter((ix) => ix.unique && !ix.partial && !ix.columns.includes("<expr>"))
    .map((ix) => ix.columns.map(lc));
  // A column named rowid hides the rowid.
  const rowid = [...ROWID].filter((r) => !table.columns.some((c) => lc(c.name) === r)).map((r) => [r]);
  return [pk, ...unique, ...rowid].filter((k) => k.length > 0);
}

/** A rebuild's single copy from its old table: which old column fills each new column, where it can tell. */
interface Copy {
  /** The new table's column names the copy fills, in order. */
  filled: string[];
  /** Per filled column, the plain old column it copies (`undefined` for an expression or a literal). */
  sources: (string | undefined)[];
  /** The old table the copy reads, the new table it fills, and its text. */
  from: string;
  into: string;
  sql: string;
}

/**
 * The rebuild's copy when it is one `INSERT … SELECT` from the old table alone (no join, no union), nothing else in
 * the file writes the new table (before the copy only, without `laterWrites`), the replay rejected no statement, and
 * no COLLATE could make distinct values equal.
 */
function soleCopy(file: MigrationFile, rebuild: Rebuild, { laterWrites = true } = {}): Copy | undefined {
  const copies = file.statements.flatMap((s, i) =>
    file.copyLines.has(s.line) && s.line >= rebuild.line && s.line <= rebuild.dropLine ? [{ s, i }] : [],
  );
  const [copy, ...more] = copies;
  const drop = file.statements.findIndex(
    (s, i) => s.line === rebuild.dropLine && file.outcomes[i]?.verb === "drop-table",
  );
  const old = lc(file.outcomes[drop]?.target ?? "");
  const target = lc(file.outcomes[copy?.i ?? -1]?.target ?? "");
  // A statement the replay rejected (a table made outside the migrations) leaves the copy unknown.
  if (!copy || more.length > 0 || !old || !target || file.outcomes.some((o) => o.error)) return undefined;
  const names = new Set([target, lc(rebuild.table)]);
  // Rows written before the copy can collide with it; rows written after it collide with the key, not the copy.
  const otherWrite = file.outcomes.some((o, i) => {
    const writes = o.verb === "insert" || o.verb === "replace" || o.verb === "update";
    return i !== copy.i && (laterWrites || i < copy.i) && writes && names.has(lc(o.target ?? ""));
  });
  const collates = file.statements.some(
    (s, i) => /\bCOLLATE\b/i.test(s.sql) && /^create-(table|index)$/.test(file.outcomes[i]?.verb ?? ""),
  );
  if (otherWrite || collates || soleSource(tokenize(copy.s.sql)) !== old) return undefined;
  const parts = insertSelectParts(copy.s.sql);
  if (!parts) return undefined;
  const visible = (t: Table) => t.columns.filter((c) => c.hidden === 0);
  const star = parts.items.length === 1 && plainItem(parts.items[0] ?? []) === "*";
  const filled = parts.columns ?? visible(rebuild.after).map((c) => c.name);
  const sources = filled.map((_, at) => (star ? visible(rebuild.before)[at]?.name : plainItem(parts.items[at] ?? [])));
  return { filled, sources, from: old, into: target, sql: copy.s.sql };
}

/**
 * Whether the unique key `columns` of a rebuilt table is unique by construction: the rebuild fills the new table
 * with one `INSERT … SELECT` from the old table alone (no join, no union), each key column copied as it is from an
 * old column with the same affinity, and those old columns include a key that was unique before (its PRIMARY KEY,
 * a unique index, or the rowid), e.g. `INSERT INTO t_next (id, key, n) SELECT key, key, n FROM t` where `key` was
 * t's PRIMARY KEY. Nothing else in the file writes the table, and no COLLATE could make distinct values equal.
 *
 * @example
 * uniqueByCopy(file, rebuild, ["id"]); // true for the copy above
 */
export function uniqueByCopy(file: MigrationFile, rebuild: Rebuild, columns: readonly string[]): boolean {
  const copy = soleCopy(file, rebuild);
  return copy !== undefined && uniqueIn(copy, rebuild, columns);
}

/**
 * Whether the rebuild's sole copy leaves a column of the unique key `columns` out, with no DEFAULT, so every copied
 * row holds NULL there, and NULLs never collide: `UNIQUE (phone)` on a rebuilt users whose copy does not fill
 * `phone`. Nothing else in the file writes the table, so only the copied rows are there when the key is checked.
 *
 * @example
 * nullByCopy(file, rebuild, ["phone"]); // true for INSERT INTO users (id, name) SELECT id, name FROM users_old
 */
export function nullByCopy(file: MigrationFile, rebuild: Rebuild, columns: readonly string[]): boolean {
  const copy = soleCopy(file, rebuild);
  if (!copy) return false;
  const filled = new Set(copy.filled.map(lc));
  return columns.some((col) => {
    const now = rebuild.after.columns.find((c) => lc(c.name) === lc(col));
    return now !== undefined && now.hidden === 0 && now.default === null && now.pk === 0 && !filled.has(lc(col));
  });
}

function uniqueIn(copy: Copy, rebuild: Rebuild, columns: readonly string[]): boolean {
  const sources: string[] = [];
  for (const col of columns) {
    const at = copy.filled.findIndex((n) => lc(n) === lc(col));
    const source = copy.sources[at];
    const now = rebuild.after.columns.find((c) => lc(c.name) === lc(col));
    if (at < 0 || source === undefined || source === "*" || !now) return false;
    const was: Column | undefined = rebuild.before.columns.find((c) => lc(c.name) === lc(source));
    // rowid values are distinct integers, and stay distinct in a column of any affinity.
    if (
      was
        ? affinity(was.type) !== affinity(now.type)
        : !keysOf(rebuild.before).some((k) => k[0] === lc(source) && ROWID.has(k[0]))
    )
      return false;
    sources.push(lc(source));
  }
  return keysOf(rebuild.before).some((key) => key.every((k) => sources.includes(k)));
}

/**
 * Whether `INSERT OR IGNORE` in a rebuild's copy can skip no row: every unique key of the new table is unique by
 * copy (or is an INTEGER PRIMARY KEY left for SQLite to number), and the copy, run on rows the old table can hold,
 * meets every NOT NULL and CHECK of the new table (a CASE that maps unknown values to an allowed one does). A
 * foreign key failure is no conflict OR IGNORE skips: it stops the statement.
 *
 * @example
 * // CREATE TABLE t_new (id INTEGER PRIMARY KEY, slug TEXT NOT NULL UNIQUE); t had the same keys
 * ignoresNoRow(file, rebuild); // true for INSERT OR IGNORE INTO t_new (id, slug) SELECT id, slug FROM t
 */
export function ignoresNoRow(file: MigrationFile, rebuild: Rebuild): boolean {
  // Rows written after the copy cannot make it skip one.
  const copy = soleCopy(file, rebuild, { laterWrites: false });
  if (!copy) return false;
  const { before, after } = rebuild;
  const at = (name: string) => copy.filled.findIndex((n) => lc(n) === lc(name));
  const pk = after.columns.filter((c) => c.pk > 0);
  const rowidAlias = pk.length === 1 && pk[0]?.type === "INTEGER" && at(pk[0].name) < 0;
  const keys = keysOf(after).filter(
    (k) => !ROWID.has(k[0] ?? "") && !(rowidAlias && k.length === 1 && k[0] === lc(pk[0]?.name ?? "")),
  );
  if (!keys.every((k) => uniqueIn(copy, rebuild, k))) return false;
  return copyKeepsRows({ before, after, from: copy.from, into: copy.into, sql: copy.sql });
}
