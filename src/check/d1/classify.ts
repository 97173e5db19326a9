import type { MigrationClass } from "../findings.js";
import type { Change } from "../sql/diff.js";
import type { StatementOutcome } from "../sql/replay.js";
import type { Index, Table } from "../sql/schema.js";
import { tokenize, updatedColumns } from "../sql/tokens.js";
import { narrowing } from "./check-constraints.js";

type Pure = Exclude<MigrationClass, "mixed">;

/** What a change is judged against: tables new in this migration, and `table.column` pairs it adds. */
export interface ClassifyContext {
  createdHere: (table: string) => boolean;
  addedColumns: ReadonlySet<string>;
  /** Columns added in this file with no default: every existing row holds NULL, which a unique index allows. */
  nullAddedColumns: ReadonlySet<string>;
  /**
   * `table.column` (`table.*`: any column) the file's UPDATE, INSERT and REPLACE statements write; undefined when
   * not known (a rebuild's nested changes, whose copy fills the new table).
   */
  written?: ReadonlySet<string>;
  /** `table(col,…)` of every index this file adds, to tell a relaxed index from a dropped one. */
  addedIndexes: ReadonlySet<string>;
  /** Column lists of the unique indexes this file adds or drops (whole-table ones), by lower-cased table. */
  uniqueAdded: ReadonlyMap<string, readonly string[][]>;
  uniqueDropped: ReadonlyMap<string, readonly string[][]>;
  /** The partial unique indexes this file drops, by lower-cased table: a new one as strict as one of them cannot fail. */
  partialDropped: ReadonlyMap<string, readonly Index[]>;
  /**
   * The PRIMARY KEY and whole-table UNIQUE columns, by lower-cased table, of each table a rebuild in the list
   * replaces, as it was before.
   * An `INTEGER PRIMARY KEY` is the rowid and has no index, so the diff cannot pair it with the new table's key.
   */
  keysBefore: ReadonlyMap<string, readonly string[][]>;
  /** Lower-cased tables this file drops: their indexes go with them. */
  droppedTables: ReadonlySet<string>;
  /**
   * `table\0index` (lower-cased) of indexes that only follow an ALTER TABLE … RENAME COLUMN: nothing new is unique
   * (they stay part of the rename's contract). A rebuild's renames are guessed, so the rules ask only of a file's own.
   */
  renamedIndexes: ReadonlySet<string>;
  /** `trigger:name` / `view:name` (lower-cased) of the triggers and views this file creates: a drop of one is a replacement. */
  createdObjects: ReadonlySet<string>;
}

const key = (table: string, column: string) => `${table}.${column}`.toLowerCase();
const indexKey = (table: string, columns: readonly string[]) => `${table}(${columns.join(",")})`.toLowerCase();

const stillNull = (ctx: ClassifyContext, table: string, col: string) =>
  ctx.nullAddedColumns.has(key(table, col)) && !ctx.written?.has(key(table, col)) && !ctx.written?.has(key(table, "*"));

/**
 * A unique index only on columns this file added without a default: every existing row is NULL, so it cannot fail.
 * (A backfill of all of them is not followed here: it usually derives them from the row's key.)
 */
export function uniqueOnNewColumns(c: { table: string; index: { columns: string[] } }, ctx: ClassifyContext): boolean {
  return c.index.columns.length > 0 && c.index.columns.every((col) => ctx.nullAddedColumns.has(key(c.table, col)));
}

/**
 * A unique index one of whose columns this file added without a default and never writes: that column is NULL in
 * every existing row and in every row the running version inserts (it does not know the column), and NULLs are
 * distinct in a unique index, so the index can reject none of them. Only for a file's own changes (`written` known).
 */
export function uniqueOnNullColumn(c: { table: string; index: { columns: string[] } }, ctx: ClassifyContext): boolean {
  return ctx.written !== undefined && c.index.columns.some((col) => stillNull(ctx, c.table, col));
}

/**
 * What a file's statements write, for ClassifyContext.written: an UPDATE's SET columns (`table.*` when they cannot
 * be read), and `table.*` for any INSERT or REPLACE.
 */
export function writtenColumns(
  statements: readonly { sql: string }[],
  outcomes: readonly (StatementOutcome | undefined)[],
): Set<string> {
  const out = new Set<string>();
  statements.forEach((s, i) => {
    const o = outcomes[i];
    if (!o?.target) return;
    if (o.verb === "insert" || o.verb === "replace") out.add(key(o.target, "*"));
    if (o.verb !== "update") return;
    const cols = updatedColumns(tokenize(s.sql));
    for (const col of cols ?? ["*"]) out.add(key(o.target, col));
  });
  return out;
}

/**
 * A unique index over a column this file adds with a non-NULL DEFAULT: the running version's inserts do not name
 * the column, so each gets the same default and the second one fails, however few rows the table holds now.
 */
export function uniqueOnDefaultedNewColumn(
  c: { table: string; index: { columns: string[]; partial?: boolean } },
  ctx: ClassifyContext,
): boolean {
  return (
    !c.index.partial &&
    c.index.columns.some(
      (col) => ctx.addedColumns.has(key(c.table, col)) && !ctx.nullAddedColumns.has(key(c.table, col)),
    )
  );
}

const covers = (wide: readonly string[], narrow: readonly string[]) =>
  narrow.length > 0 && narrow.every((c) => wide.some((w) => w.toLowerCase() === c.toLowerCase()));

/**
 * A unique index on a superset of the columns of a unique index that held before this file (one the file drops,
 * as when a key widens to `(coll, slug, locale)`, or the PRIMARY KEY of a table a rebuild replaces, such as an
 * `INTEGER PRIMARY KEY` that becomes `TEXT PRIMARY KEY`): every existing row is already unique on it, so it cannot fail.
 */
export function uniqueImpliedBefore(
  c: { table: string; index: { columns: string[]; partial?: boolean; where?: string[] } },
  ctx: ClassifyContext,
): boolean {
  const held = [
    ...(ctx.uniqueDropped.get(c.table.toLowerCase()) ?? []),
    ...(ctx.keysBefore.get(c.table.toLowerCase()) ?? []),
  ];
  if (held.some((cols) => covers(c.index.columns, cols))) return true;
  // A partial unique index whose rows the new one's condition narrows (every part of its WHERE is in the new WHERE).
  const where = c.index.where;
  return (
    where !== undefined &&
    (ctx.partialDropped.get(c.table.toLowerCase()) ?? []).some(
      (ix) => covers(c.index.columns, ix.columns) && (ix.where ?? []).every((part) => where.includes(part)),
    )
  );
}

type Rebuild = Extract<Change, { kind: "modify-table" }>;

function primaryKeysBefore(rebuilds: readonly Rebuild[]): Map<string, string[][]> {
  const out = new Map<string, string[][]>();
  for (const r of rebuilds) {
    const pk = r.before.columns
      .filter((col) => col.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((col) => col.name);
    // Every whole-table unique key the old table held, too: a rebuild that widens UNIQUE (a, b) to (a, b, c).
    const unique = r.before.indexes
      .filter((ix) => ix.unique && !ix.partial && !ix.columns.includes("<expr>"))
      .map((ix) => ix.columns);
    const keys = [...(pk.length > 0 ? [pk] : []), ...unique];
    if (keys.length > 0) out.set(r.table.toLowerCase(), [...(out.get(r.table.toLowerCase()) ?? []), ...keys]);
  }
  return out;
}

const renamedKey = (table: string, name: string) => `${table}\0${name}`.toLowerCase();

/** Whether an index change only carries an index over a column rename (see ClassifyContext.renamedIndexes). */
export function followsRename(c: { table: string; index: { name: string } }, ctx: ClassifyContext): boolean {
  return ctx.renamedIndexes.has(renamedKey(c.table, c.index.name));
}

/**
 * SQLite keeps an index, under its name, when a column it covers is renamed; the diff sees the old column list
 * dropped and the new one added. Pairs such a drop and add: same table, name, uniqueness and WHERE, and the old
 * columns mapped through the list's renames of that table give the new ones.
 */
function indexesFollowingRenames(changes: readonly Change[]): Set<string> {
  const out = new Set<string>();
  const renamed = (table: string, col: string): string => {
    let name = col;
    for (const r of changes)
      if (
        r.kind === "rename-column" &&
        r.table.toLowerCase() === table.toLowerCase() &&
        r.from.toLowerCase() === name.toLowerCase()
      )
        name = r.column.name;
    return name.toLowerCase();
  };
  for (const d of changes) {
    if (d.kind !== "drop-index") continue;
    const mapped = d.index.columns.map((col) => renamed(d.table, col));
    const same = changes.some(
      (a) =>
        a.kind === "add-index" &&
        renamedKey(a.table, a.index.name) === renamedKey(d.table, d.index.name) &&
        a.index.unique === d.index.unique &&
        Boolean(a.index.partial) === Boolean(d.index.partial) &&
        a.index.columns.length === mapped.length &&
        a.index.columns.every((col, i) => col.toLowerCase() === mapped[i]),
    );
    if (same) out.add(renamedKey(d.table, d.index.name));
  }
  return out;
}

/**
 * The whole-table unique keys (PRIMARY KEY, UNIQUE) that a table this file adds a unique index to keeps from before
 * the file: its keys after the file, less the indexes the file adds. A table the file rebuilds or creates is left out,
 * since its keys after the file are new.
 */
function keysKept(changes: readonly Change[], tablesAfter: ReadonlyMap<string, Table>): Map<string, string[][]> {
  const out = new Map<string, string[][]>();
  const lcT = (t: string) => t.toLowerCase();
  const replaced = new Set(
    changes.flatMap((c) => (c.kind === "modify-table" || c.kind === "create-table" ? [lcT(c.table)] : [])),
  );
  const added = new Set(changes.flatMap((c) => (c.kind === "add-index" ? [renamedKey(c.table, c.index.name)] : [])));
  for (const c of changes) {
    const t = lcT(c.table);
    const table = tablesAfter.get(t);
    if (c.kind !== "add-index" || !c.index.unique || replaced.has(t) || !table || out.has(t)) continue;
    const pk = table.columns
      .filter((col) => col.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((col) => col.name);
    const unique = table.indexes
      .filter((ix) => ix.unique && !ix.partial && !ix.columns.includes("<expr>"))
      .filter((ix) => !added.has(renamedKey(c.table, ix.name)))
      .map((ix) => ix.columns);
    out.set(t, [...(pk.length > 0 ? [pk] : []), ...unique]);
  }
  return out;
}

function uniqueByTable(changes: readonly Change[], kind: "add-index" | "drop-index"): Map<string, string[][]> {
  const out = new Map<string, string[][]>();
  for (const c of changes)
    if (c.kind === kind && c.index.unique && !c.index.partial)
      out.set(c.table.toLowerCase(), [...(out.get(c.table.toLowerCase()) ?? []), c.index.columns]);
  return out;
}

/**
 * The context for a list of sibling changes: a file's (then `written` is what its statements write, see
 * writtenColumns), or one rebuild's nested changes (then `rebuilt` is that rebuild).
 */
export function contextFor(
  changes: readonly Change[],
  createdHere: (table: string) => boolean,
  {
    rebuilt = [],
    written,
    tablesAfter,
  }: { rebuilt?: readonly Rebuild[]; written?: ReadonlySet<string>; tablesAfter?: ReadonlyMap<string, Table> } = {},
): ClassifyContext {
  const adds = changes.flatMap((c) => (c.kind === "add-column" ? [c] : []));
  const addedColumns = new Set(adds.map((c) => key(c.table, c.column.name)));
  const nullAddedColumns = new Set(
    adds
      // A generated column has no default, yet holds values.
      .filter((c) => c.column.hidden === 0 && (c.column.default === null || /^null$/i.test(c.column.default)))
      .map((c) => key(c.table, c.column.name)),
  );
  const addedIndexes = new Set(
    changes.flatMap((c) => (c.kind === "add-index" ? [indexKey(c.table, c.index.columns)] : [])),
  );
  const uniqueAdded = uniqueByTable(changes, "add-index");
  const uniqueDropped = uniqueByTable(changes, "drop-index");
  const partialDropped = new Map<string, Index[]>();
  for (const c of changes)
    if (c.kind === "drop-index" && c.index.unique && c.index.partial)
      partialDropped.set(c.table.toLowerCase(), [...(partialDropped.get(c.table.toLowerCase()) ?? []), c.index]);
  const droppedTables = new Set(changes.flatMap((c) => (c.kind === "drop-table" ? [c.table.toLowerCase()] : [])));
  const renamedIndexes = indexesFollowingRenames(changes);
  const keysBefore = primaryKeysBefore([...changes.flatMap((c) => (c.kind === "modify-table" ? [c] : [])), ...rebuilt]);
  // A unique index whose key holds a key the table already had cannot fail, nor reject a write the old key allowed.
  for (const [t, keys] of tablesAfter ? keysKept(changes, tablesAfter) : [])
    keysBefore.set(t, [...(keysBefore.get(t) ?? []), ...keys]);
  return {
    createdHere,
    addedColumns,
    nullAddedColumns,
    ...(written ? { written } : {}),
    addedIndexes,
    uniqueAdded,
    uniqueDropped,
    partialDropped,
    keysBefore,
    droppedTables,
    renamedIndexes,
    createdObjects: new Set(
      changes.flatMap((c) =>
        c.kind === "create-trigger" || c.kind === "create-view" ? [`${c.kind.slice(7)}:${c.name.toLowerCase()}`] : [],
      ),
    ),
  };
}

/** Whether one schema change only adds (expand) or removes, renames or narrows (contract). */
export function classOfChange(c: Change, ctx: ClassifyContext): Pure {
  switch (c.kind) {
    case "create-table":
    case "add-column":
    case "create-view":
    case "create-trigger":
      return "expand";
    case "add-index":
      return c.index.unique &&
        !ctx.createdHere(c.table) &&
        !uniqueOnNewColumns(c, ctx) &&
        !uniqueOnNullColumn(c, ctx) &&
        !uniqueImpliedBefore(c, ctx)
        ? "contract"
        : "expand";
    case "drop-index": {
      // `DROP INDEX …; DROP TABLE t;` (what drizzle writes): the index goes with the table, part of that contract.
      if (ctx.droppedTables.has(c.table.toLowerCase())) return "contract";
      // Dropping a plain index, re-creating a unique one without UNIQUE, or widening its key, only relaxes.
      const widened = (ctx.uniqueAdded.get(c.table.toLowerCase()) ?? []).some((cols) => covers(cols, c.index.columns));
      return !c.index.unique || widened || ctx.addedIndexes.has(indexKey(c.table, c.index.columns))
        ? "expand"
        : "contract";
    }
    case "add-foreign-key":
      // A reference on a column added alongside it constrains only new values: additive.
      return ctx.createdHere(c.table) || c.fk.from.every((col) => ctx.addedColumns.has(key(c.table, col)))
        ? "expand"
        : "contract";
    case "alter-column": {
      const narrowed =
        (!c.before.notNull && c.after.notNull) || c.before.type.toLowerCase() !== c.after.type.toLowerCase();
      return narrowed ? "contract" : "expand";
    }
    case "alter-foreign-key":
      return "contract";
    case "drop-trigger":
    case "drop-view":
      // Dropped and created again by the same file: the new definition replaces it, which takes nothing away here.
      return ctx.createdObjects.has(`${c.kind.slice(5)}:${c.name.toLowerCase()}`) ? "expand" : "contract";
    case "rename-table":
      // Renaming a table this file just made (a rebuild whose old table is missing here) takes nothing away.
      return ctx.createdHere(c.from) ? "expand" : "contract";
    case "modify-table": {
      const nested = contextFor(c.changes, () => false, { rebuilt: [c] });
      // A rebuild that adds or narrows a CHECK on old columns rejects rows the running version writes.
      if (narrowing(c.before, c.after)) return "contract";
      return c.changes.some((n) => classOfChange(n, nested) === "contract") ? "contract" : "expand";
    }
    default:
      // drops and renames
      return "contract";
  }
}

/** Whether a statement moves data: UPDATE, DELETE, REPLACE or INSERT … SELECT (not a rebuild's copy). */
export function isDataStatement(o: StatementOutcome): boolean {
  return o.verb === "update" || o.verb === "delete" || o.verb === "replace" || (o.verb === "insert" && o.insertSelect);
}

/**
 * Classifies a migration: expand (additive only), contract (drops, renames, narrowing), data (UPDATE, DELETE,
 * INSERT … SELECT), or mixed when it does more than one of these.
 *
 * @example
 * classify(changes, outcomes, copyLines, createdHere).class; // "expand"
 */
export function classify(
  changes: readonly (Change & { line: number })[],
  outcomes: readonly (StatementOutcome & { line: number })[],
  copyLines: ReadonlySet<number>,
  createdHere: ReadonlySet<string>,
  written?: ReadonlySet<string>,
  tablesAfter?: ReadonlyMap<string, Table>,
): { classes: Set<Pure>; class: MigrationClass } {
  const classes = new Set<Pure>();
  const ctx = contextFor(changes, (t) => createdHere.has(t.toLowerCase()), {
    ...(written ? { written } : {}),
    ...(tablesAfter ? { tablesAfter } : {}),
  });
  for (const c of changes) classes.add(classOfChange(c, ctx));
  for (const o of outcomes) if (isDataStatement(o) && !copyLines.has(o.line)) classes.add("data");
  const list = [...classes];
  const only = list[0];
  return { classes, class: list.length === 0 || only === undefined ? "expand" : list.length === 1 ? only : "mixed" };
}
