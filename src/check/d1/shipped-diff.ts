import Database from "better-sqlite3";
import { type SqlStatement, splitStatements } from "../sql/split.js";
import { describeStatement, type StatementVerb, tokenize } from "../sql/tokens.js";

/** How a migration's current text differs from the text it shipped with. */
export interface ShippedDiff {
  /** Statements of the current text that a database which applied the shipped text never ran. */
  added: SqlStatement[];
  /** Statements of the shipped text that the current text no longer runs. */
  dropped: SqlStatement[];
  /** What the current text creates that the shipped text did not: "column users.avatar_url (TEXT NOT NULL)". */
  missing: string[];
  /** What the shipped text created that the current text does not. */
  extra: string[];
  /** True when every differing statement is schema DDL that both texts leave the same: a reformat or a squash. */
  sameSchema: boolean;
  /**
   * True when every differing statement is schema DDL (it may fail on its own, e.g. an ALTER of an earlier table) or
   * writes only into a scratch table one of the two texts creates and drops or renames away (a rebuild's new table),
   * or copies rows from a table (`INSERT … SELECT … FROM`): a database that applied the shipped text ran its copy,
   * and a new one holds no rows but those the migrations write, so only the schema the texts leave tells them apart.
   */
  schemaOnly: boolean;
  /**
   * Tables (lower case) that the differing statements that are no schema DDL write into, beyond scratch tables: a
   * marker table the new text creates and fills. Empty exactly when `schemaOnly`.
   */
  writes: string[];
  /**
   * True when the shipped text cannot run at all (SQLite cannot parse a statement of it, or a string never ends):
   * wrangler's apply failed on it and recorded nothing, so every database runs the current text.
   */
  shippedNeverRan: boolean;
}

const SCHEMA_VERBS = new Set<StatementVerb>([
  "create-table",
  "create-virtual-table",
  "create-index",
  "create-view",
  "create-trigger",
  "drop-table",
  "drop-index",
  "drop-view",
  "drop-trigger",
  "alter-table",
]);

/** A statement as SQLite reads it: case, quoting, spacing, comments and `IF [NOT] EXISTS` do not count. */
function statementKey(sql: string): string {
  const words = tokenize(sql, Number.POSITIVE_INFINITY).map((t) =>
    t.kind === "word" || t.kind === "ident" ? t.text.toLowerCase() : `${t.kind}:${t.text}`,
  );
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    if (words[i] === "if" && words[i + 1] === "exists") i += 1;
    else if (words[i] === "if" && words[i + 1] === "not" && words[i + 2] === "exists") i += 2;
    else out.push(words[i] ?? "");
  }
  return out.join(" ");
}

interface Side {
  statements: SqlStatement[];
  failed: Set<SqlStatement>;
  /** A statement SQLite cannot even parse (or an unterminated string): the file as a whole never applies. */
  unparsable: boolean;
  /** Schema item key → how a message names it. */
  schema: Map<string, string>;
}

/** Whether `side` has a failed statement, not in `other`, whose target table no statement of `side` creates. */
function failsOutside(side: Side, other: Side): boolean {
  const theirs = new Set(other.statements.map((s) => s.sql.trim()));
  const made = new Set(
    side.statements.flatMap((s) => {
      const d = describeStatement(s.sql);
      const created = d.verb === "create-table" || d.verb === "create-virtual-table" ? d.target : d.table;
      return created === undefined ? [] : [created.toLowerCase()];
    }),
  );
  return [...side.failed].some((s) => {
    const target = describeStatement(s.sql).target?.toLowerCase();
    return target !== undefined && !made.has(target) && !theirs.has(s.sql.trim());
  });
}

/**
 * Whether a statement both histories hold (a later file nobody edited) fails in `side` only, on a table both sides
 * have (`CREATE INDEX` of a name only one side already holds): on those databases that file stops, so the two do not
 * end alike whatever their schemas show. A table only one side has is the difference itself, judged by the caller.
 */
function failsOnlyIn(side: Side, other: Side, oneSided: ReadonlySet<string>): boolean {
  const failedThere = new Set([...other.failed].map((s) => s.sql.trim()));
  const ranThere = new Set(other.statements.map((s) => s.sql.trim()).filter((sql) => !failedThere.has(sql)));
  return [...side.failed].some((s) => {
    if (!ranThere.has(s.sql.trim())) return false;
    const { target, table } = describeStatement(s.sql);
    return ![target, table].some((n) => n !== undefined && oneSided.has(n.toLowerCase()));
  });
}

const SYNTAX = /syntax error|incomplete input|unrecognized token/i;

/** Runs statements on `db`, each on its own: a failing one is skipped and listed. */
function execEach(db: Database.Database, statements: readonly SqlStatement[]) {
  const failed = new Set<SqlStatement>();
  let unparsable = false;
  for (const s of statements)
    try {
      db.exec(s.sql);
    } catch (e) {
      failed.add(s);
      if (e instanceof Error && SYNTAX.test(e.message)) unparsable = true;
    }
  return { failed, unparsable };
}

/** Runs statements on an empty SQLite, each on its own (a failing one is skipped), and lists what they leave. */
function run(statements: SqlStatement[]): Side {
  const db = new Database(":memory:");
  try {
    return { statements, ...execEach(db, statements), schema: schemaItems(db) };
  } finally {
    db.close();
  }
}

/** The statement at which a migration run a second time stops, and SQLite's error there. */
export interface RerunFailure {
  statement: SqlStatement;
  error: string;
}

/**
 * Where a migration that wrangler runs again (renamed after it shipped) stops on a database that applied `earlier`
 * and then its shipped text: the first statement of `currentText` that fails there, when it runs on a database that
 * applied `earlier` alone. Undefined when the re-run goes through, or first fails where a new database fails too.
 *
 * @example
 * rerunFailure([], "CREATE TABLE u (id);", "CREATE TABLE u (id, name);")?.error; // "table u already exists"
 */
export function rerunFailure(
  earlier: readonly string[],
  shippedText: string,
  currentText: string,
): RerunFailure | undefined {
  const prior = earlier.flatMap((t) => splitStatements(t).statements);
  const current = splitStatements(currentText).statements;
  const fresh = run([...prior, ...current]);
  const db = new Database(":memory:");
  try {
    execEach(db, [...prior, ...splitStatements(shippedText).statements]);
    for (const s of current)
      try {
        db.exec(s.sql);
      } catch (e) {
        return fresh.failed.has(s) ? undefined : { statement: s, error: e instanceof Error ? e.message : String(e) };
      }
    return undefined;
  } finally {
    db.close();
  }
}

const sameDefault = (value: string) => (/^true$/i.test(value) ? "1" : /^false$/i.test(value) ? "0" : value);

function schemaItems(db: Database.Database): Map<string, string> {
  const items = new Map<string, string>();
  const objects = db
    .prepare(
      "SELECT type, name, tbl_name AS tbl, sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'",
    )
    .all() as { type: string; name: string; tbl: string; sql: string }[];
  for (const o of objects) {
    const table = o.tbl.toLowerCase();
    if (o.type !== "table") {
      items.set(`${o.type} ${o.name.toLowerCase()}: ${statementKey(o.sql)}`, `${o.type} ${o.name} on ${o.tbl}`);
      continue;
    }
    items.set(`table ${table}`, `table ${o.name}`);
    const columns = db.prepare(`PRAGMA table_info("${o.name.replace(/"/g, '""')}")`).all() as {
      name: string;
      type: string;
      notnull: number;
      dflt_value: string | null;
    }[];
    for (const c of columns) {
      // A DEFAULT fills every insert that leaves the column out: old and new databases differ when it does.
      // SQLite stores TRUE and FALSE as 1 and 0: `DEFAULT true` and `DEFAULT 1` fill the same value.
      const dflt = c.dflt_value === null ? "" : `DEFAULT ${sameDefault(c.dflt_value)}`;
      const type = [c.type.toUpperCase(), c.notnull ? "NOT NULL" : "", dflt].filter(Boolean).join(" ");
      items.set(
        `column ${table}.${c.name.toLowerCase()} ${type}`,
        `column ${o.name}.${c.name}${type ? ` (${type})` : ""}`,
      );
    }
  }
  return items;
}

/** Statements of `a` whose key `b` does not hold (as many times as `a` holds it). */
function unmatched(a: readonly SqlStatement[], b: readonly SqlStatement[]): SqlStatement[] {
  const left = new Map<string, number>();
  for (const s of b) left.set(statementKey(s.sql), (left.get(statementKey(s.sql)) ?? 0) + 1);
  return a.filter((s) => {
    const k = statementKey(s.sql);
    const n = left.get(k) ?? 0;
    if (n > 0) left.set(k, n - 1);
    return n === 0;
  });
}

/**
 * Compares a migration's current text with the text it shipped with. A database that applied the shipped text (and
 * the migration files deleted since, `removed`) ran exactly those statements; wrangler never runs the file again.
 *
 * @example
 * const d = shippedDiff("CREATE TABLE u (id INTEGER);", "CREATE TABLE u (id INTEGER, avatar_url TEXT);");
 * d.missing; // ["column u.avatar_url (TEXT)"]
 */
export function shippedDiff(shippedText: string, currentText: string, removed: readonly string[] = []): ShippedDiff {
  const shippedSplit = splitStatements(shippedText);
  const ownShipped = shippedSplit.statements;
  const before = run([...ownShipped, ...removed.flatMap((t) => splitStatements(t).statements)]);
  // What the shipped text itself made; the files deleted since only explain what the new text took over from them.
  const shippedOnly = removed.length ? run(ownShipped) : before;
  const now = run(splitStatements(currentText).statements);
  const added = unmatched(now.statements, before.statements);
  const dropped = unmatched(ownShipped, now.statements);
  const missing = [...now.schema].filter(([k]) => !before.schema.has(k)).map(([, label]) => label);
  const extra = [...shippedOnly.schema].filter(([k]) => !now.schema.has(k)).map(([, label]) => label);
  const settled = (s: SqlStatement, side: Side) =>
    SCHEMA_VERBS.has(describeStatement(s.sql).verb) && !side.failed.has(s);
  const sameSchema =
    missing.length === 0 &&
    extra.length === 0 &&
    added.every((s) => settled(s, now)) &&
    dropped.every((s) => settled(s, before));
  // Tables a text creates and no longer has at its end: a rebuild's new table, a scratch copy.
  const scratch = (side: Side) =>
    side.statements.flatMap((s) => {
      const d = describeStatement(s.sql);
      const t = d.target?.toLowerCase();
      return d.verb === "create-table" && t !== undefined && !side.schema.has(`table ${t}`) ? [t] : [];
    });
  const own = new Set([...scratch(before), ...scratch(now)]);
  const writes = new Set<string>();
  let schemaOnly = true;
  for (const s of [...added, ...dropped]) {
    const d = describeStatement(s.sql);
    const target = d.target?.toLowerCase();
    if (SCHEMA_VERBS.has(d.verb) || (target !== undefined && own.has(target)) || copiesRows(s.sql)) continue;
    schemaOnly = false;
    // "" stands for a statement without a table (a PRAGMA): it matches no table.
    writes.add(target ?? "");
  }
  const shippedNeverRan = shippedSplit.problems.length > 0 || shippedOnly.unparsable;
  return {
    added,
    dropped,
    missing,
    extra,
    sameSchema,
    schemaOnly,
    writes: schemaOnly ? [] : [...writes],
    shippedNeverRan,
  };
}

/** `INSERT … SELECT … FROM t`: rows copied from a table, not values the statement writes itself. */
function copiesRows(sql: string): boolean {
  const tokens = tokenize(sql);
  const first = tokens.find((t) => t.kind === "word");
  const select = tokens.findIndex((t) => t.depth === 0 && t.kind === "word" && t.value === "SELECT");
  const from = tokens.findIndex((t, i) => i > select && t.depth === 0 && t.kind === "word" && t.value === "FROM");
  return (first?.value === "INSERT" || first?.value === "REPLACE") && select > 0 && from > select;
}

/**
 * How two whole histories, each a list of migration texts in apply order, differ in the schema they leave on an empty
 * SQLite: `[]` when alike (edits that move a change from one file to another, such as an `ALTER … ADD COLUMN` folded
 * into the `CREATE TABLE` of an earlier file), the tables (lower case) that only one side has when those are the whole
 * difference, and undefined when more differs.
 *
 * @example
 * historyDifference(["CREATE TABLE u (id);", "ALTER TABLE u ADD COLUMN name;"], ["CREATE TABLE u (id, name);", ""]); // []
 * historyDifference(["CREATE TABLE u (id);"], ["CREATE TABLE u (id); CREATE TABLE _marker (id);"]); // ["_marker"]
 */
export function historyDifference(oldTexts: readonly string[], newTexts: readonly string[]): string[] | undefined {
  const statements = (texts: readonly string[]) => texts.flatMap((t) => splitStatements(t).statements);
  const sa = run(statements(oldTexts));
  const sb = run(statements(newTexts));
  // A statement only one side holds that fails on a table no migration makes (made outside them): production runs
  // it, the empty database cannot, so the schemas compared here cannot tell the two sides apart.
  if (failsOutside(sa, sb) || failsOutside(sb, sa)) return undefined;
  const a = sa.schema;
  const b = sb.schema;
  const tables = (s: Map<string, string>) =>
    new Set([...s.keys()].flatMap((k) => (k.startsWith("table ") ? [k.slice("table ".length)] : [])));
  const ta = tables(a);
  const tb = tables(b);
  const oneSided = [...ta].filter((x) => !tb.has(x)).concat([...tb].filter((x) => !ta.has(x)));
  const sided = new Set(oneSided);
  if (failsOnlyIn(sa, sb, sided) || failsOnlyIn(sb, sa, sided)) return undefined;
  // A one-sided table's own items (columns, indexes, triggers) follow it.
  const ownedBy = (key: string, side: Map<string, string>) =>
    oneSided.some(
      (tb) =>
        key === `table ${tb}` ||
        key.startsWith(`column ${tb}.`) ||
        (side.get(key) ?? "").toLowerCase().endsWith(` on ${tb}`),
    );
  const rest = (x: Map<string, string>, y: Map<string, string>) =>
    [...x.keys()].filter((k) => !y.has(k) && !ownedBy(k, x));
  return rest(a, b).length === 0 && rest(b, a).length === 0 ? oneSided : undefined;
}

/** What two whole histories leave in the schema that the other does not (`column u.avatar_url (TEXT)`). */
export interface SchemaDifference {
  onlyOld: string[];
  onlyNew: string[];
}

/**
 * The schema items each of two histories (migration texts in apply order) leaves on an empty SQLite and the other
 * does not. Undefined when a statement only one side holds fails on a table no migration makes: production runs it,
 * the empty database cannot, so the two cannot be told apart here.
 *
 * @example
 * schemaDifference(["CREATE TABLE u (id, n);", "ALTER TABLE u DROP COLUMN n;"], ["CREATE TABLE u (id, n);"]);
 * // { onlyOld: [], onlyNew: ["column u.n"] }
 */
export function schemaDifference(
  oldTexts: readonly string[],
  newTexts: readonly string[],
): SchemaDifference | undefined {
  const statements = (texts: readonly string[]) => texts.flatMap((t) => splitStatements(t).statements);
  const a = run(statements(oldTexts));
  const b = run(statements(newTexts));
  if (failsOutside(a, b) || failsOutside(b, a)) return undefined;
  const only = (x: Side, y: Side) => [...x.schema].filter(([k]) => !y.schema.has(k)).map(([, label]) => label);
  return { onlyOld: only(a, b), onlyNew: only(b, a) };
}
