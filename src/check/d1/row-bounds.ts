import type { Table } from "../sql/schema.js";
import { type Token, tokenize } from "../sql/tokens.js";
import { conjuncts, equality, isName } from "./net-effect.js";
import type { MigrationFile } from "./rule.js";

/** Statements that can only touch a row or two, whatever the table holds: not a large or unbounded write. */

const lc = (s: string) => s.toLowerCase();
const TOKENS = 4000;

/** Columns a CHECK pins to one value: `id = 1`, `1 == id`, `id IS 'only'`, one of its top-level `AND` parts. */
function pinnedColumns(expr: string): string[] {
  return conjuncts(tokenize(expr), 0).flatMap((part) => {
    const eq = equality(part);
    return eq && eq.value !== "NULL" ? [eq.column] : [];
  });
}

/**
 * Whether a table holds one row at most: a column that is its key (the PRIMARY KEY alone, or a whole-table
 * UNIQUE index on it alone), cannot be NULL (a NULL passes any CHECK) and has a CHECK pinning it to one value,
 * e.g. `CREATE TABLE settings (id INTEGER PRIMARY KEY CHECK (id = 1), …)`.
 *
 * @example
 * isSingleton(tablesAfter.get("settings")); // true for the table above
 */
export function isSingleton(table: Table | undefined): boolean {
  if (!table) return false;
  const pk = table.columns.filter((c) => c.pk > 0);
  const soleKey = pk.length === 1 ? pk[0] : undefined;
  const uniques = new Set(
    table.indexes.flatMap((ix) => (ix.unique && !ix.partial && ix.columns.length === 1 ? ix.columns.map(lc) : [])),
  );
  const pinned = new Set(table.checks.flatMap((c) => pinnedColumns(c.expr)));
  return table.columns.some((c) => {
    const key = c === soleKey || uniques.has(lc(c.name));
    // INTEGER PRIMARY KEY is the rowid: never NULL.
    const notNull = c.notNull || (c === soleKey && c.type === "INTEGER");
    return key && notNull && pinned.has(lc(c.name));
  });
}

/** Functions that are always aggregates; MIN and MAX are aggregates only with one argument. */
const AGGREGATES = new Set([
  "COUNT",
  "SUM",
  "TOTAL",
  "AVG",
  "GROUP_CONCAT",
  "STRING_AGG",
  "JSON_GROUP_ARRAY",
  "JSON_GROUP_OBJECT",
  "JSONB_GROUP_ARRAY",
  "JSONB_GROUP_OBJECT",
]);

/** The index of the `)` closing the `(` at `open`. */
function closing(tokens: readonly Token[], open: number): number {
  const depth = tokens[open]?.depth ?? 0;
  const at = tokens.findIndex((t, i) => i > open && t.depth === depth && t.value === ")");
  return at < 0 ? tokens.length : at;
}

/** Whether `tokens[i]` calls an aggregate (not as a window function: `… OVER (…)` gives a row per row). */
function aggregateCall(tokens: readonly Token[], i: number): boolean {
  const t = tokens[i];
  if (t?.kind !== "word" || tokens[i + 1]?.value !== "(") return false;
  const close = closing(tokens, i + 1);
  const args = tokens.slice(i + 2, close);
  const oneArg = args.length > 0 && !args.some((a) => a.depth === t.depth + 1 && a.value === ",");
  if (!AGGREGATES.has(t.value) && !((t.value === "MIN" || t.value === "MAX") && oneArg)) return false;
  let next = close + 1;
  if (tokens[next]?.value === "FILTER" && tokens[next + 1]?.value === "(") next = closing(tokens, next + 1) + 1;
  return tokens[next]?.value !== "OVER";
}

/**
 * Whether the SELECT of an `INSERT … SELECT` yields one row at most: it selects an aggregate and has no
 * `GROUP BY` and no compound part (`UNION`, …), e.g. `INSERT INTO stats (n) SELECT COUNT(*) FROM t WHERE …`.
 *
 * @example
 * selectsOneRow("INSERT INTO s (id, x) SELECT 1, MIN(x) FROM t HAVING COUNT(*) > 0;"); // true
 */
export function selectsOneRow(sql: string): boolean {
  const tokens = tokenize(sql, TOKENS);
  if (tokens.length >= TOKENS) return false;
  const select = tokens.findIndex((t) => t.depth === 0 && t.kind === "word" && t.value === "SELECT");
  if (select < 0) return false;
  const rest = tokens.slice(select + 1);
  const top = rest.filter((t) => t.depth === 0 && t.kind === "word");
  const compound = top.some((t) => ["UNION", "EXCEPT", "INTERSECT", "VALUES"].includes(t.value));
  if (compound || top.some((t, i) => t.value === "GROUP" && top[i + 1]?.value === "BY")) return false;
  const from = rest.findIndex((t) => t.depth === 0 && t.kind === "word" && t.value === "FROM");
  // `SELECT 'k', 'v' WHERE NOT EXISTS (…)` reads no table: one row at most.
  if (from < 0 || limitedToOne(rest)) return true;
  const items = rest.slice(0, from);
  return items.some((t, i) => t.depth === 0 && aggregateCall(items, i));
}

/** A top-level `LIMIT 1` (or 0), also `LIMIT 1 OFFSET n` and `LIMIT n, 1`. */
function limitedToOne(tokens: readonly Token[]): boolean {
  const at = tokens.findIndex((t) => t.depth === 0 && t.kind === "word" && t.value === "LIMIT");
  if (at < 0) return false;
  const [a, sep, b] = [tokens[at + 1], tokens[at + 2], tokens[at + 3]];
  const count = sep?.value === "," ? b : a;
  const ends = sep === undefined || sep.value === ";" || sep.value === "OFFSET" || sep.value === ",";
  return ends && count?.kind === "number" && Number(count.text) <= 1;
}

/**
 * Columns the top-level `AND` parts of a WHERE pin, with how many values: `id = 5` (1), `id = (SELECT …)` (1),
 * `id IN (1, 2)` (2).
 */
function pinnedByWhere(where: readonly Token[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const part of conjuncts(where, 0)) {
    const eq = equality(part);
    if (eq && eq.value !== "NULL") out.set(eq.column, 1);
    const plain = part.filter((t, i) => !(isName(t) && part[i + 1]?.value === ".") && t.value !== ".");
    const [name, op, open] = plain;
    const list = plain.slice(3, -1);
    const literals = list.filter((t) => t.kind === "number" || t.kind === "string");
    const listed =
      isName(name) &&
      op?.kind === "word" &&
      op.value === "IN" &&
      open?.value === "(" &&
      plain[plain.length - 1]?.value === ")" &&
      list.length === literals.length * 2 - 1 &&
      list.every((t, k) => (k % 2 === 1 ? t.value === "," : t.kind !== "punct"));
    if (listed && literals.length > 0) out.set(lc(name.text), literals.length);
    // `id = (SELECT …)`: a scalar subquery gives one value.
    const scalar = op?.value === "=" && open?.value === "(" && plain[3]?.value === "SELECT";
    if (scalar && isName(name) && closing(plain, 2) === plain.length - 1) out.set(lc(name.text), 1);
  }
  return out;
}

/**
 * How many rows an UPDATE or DELETE can touch at most when its WHERE pins every column of one of the table's
 * unique keys to literals (`WHERE id = 5`, `WHERE id IN (1, 2)`, `WHERE tenant = 'a' AND slug = 'b'` on a unique
 * (tenant, slug)), or undefined when it does not.
 *
 * @example
 * keyedRows("UPDATE orders SET status = 'x' WHERE id IN (3, 4);", orders); // 2
 */
export function keyedRows(sql: string, table: Table | undefined): number | undefined {
  const tokens = tokenize(sql, TOKENS);
  const verb = tokens[0]?.value;
  if (!table || tokens.length >= TOKENS || (verb !== "UPDATE" && verb !== "DELETE")) return undefined;
  const top = (word: string) => tokens.findIndex((t) => t.depth === 0 && t.kind === "word" && t.value === word);
  // `UPDATE t SET … FROM other WHERE other.id = 1` pins the other table's rows, not t's.
  if (tokens[0]?.value === "UPDATE" && top("FROM") >= 0) return undefined;
  const where = top("WHERE");
  if (where < 0) return undefined;
  return keyCount(pinnedByWhere(tokens.slice(where + 1)), table);
}

/**
 * How many rows an `INSERT … SELECT` (or REPLACE) writes at most when every table its SELECT reads has one of its
 * unique keys pinned to literals, in the WHERE or a JOIN's ON: `SELECT i.id, 'ALCAR' FROM ingredients i WHERE
 * i.name = 'Acetyl-L-Carnitin'` on a unique `name` gives one row; joining `ingredients child ON child.name = 'x'`
 * multiplies by one more. Undefined when one is not pinned, or the SELECT is compound.
 *
 * @example
 * selectedKeyedRows(sql, (t) => schema.get(t)); // 1
 */
export function selectedKeyedRows(sql: string, tableOf: (name: string) => Table | undefined): number | undefined {
  const tokens = tokenize(sql, TOKENS);
  const verb = tokens[0]?.value;
  if (tokens.length >= TOKENS || (verb !== "INSERT" && verb !== "REPLACE")) return undefined;
  const top = (word: string, after: number) =>
    tokens.findIndex((t, i) => i > after && t.depth === 0 && t.kind === "word" && t.value === word);
  const select = top("SELECT", -1);
  const from = top("FROM", select);
  if (select < 0 || from < 0 || ["UNION", "EXCEPT", "INTERSECT"].some((w) => top(w, from) >= 0)) return undefined;
  const where = top("WHERE", from);
  // The SELECT ends where the statement's own tail begins (an upsert's ON CONFLICT, ORDER BY, LIMIT, RETURNING).
  const tail = tokens.findIndex(
    (t, i) =>
      i > Math.max(from, where) &&
      t.depth === 0 &&
      t.kind === "word" &&
      ["ORDER", "LIMIT", "RETURNING", "GROUP"].includes(t.value),
  );
  const conflict = tokens.findIndex(
    (t, i) => i > from && t.depth === 0 && t.value === "ON" && tokens[i + 1]?.value === "CONFLICT",
  );
  const semicolon = tokens.findIndex((t, i) => i > from && t.depth === 0 && t.value === ";");
  const ends = [tail, conflict, semicolon].filter((x) => x > 0);
  const end = ends.length > 0 ? Math.min(...ends) : tokens.length;
  const sources = fromItems(tokens.slice(from + 1, where < 0 ? end : where));
  if (!sources || sources.items.length === 0) return undefined;
  const conds = [...sources.on, ...(where < 0 ? [] : conjuncts(tokens.slice(where + 1, end), 0))];
  let rows = 1;
  for (const item of sources.items) {
    const table = tableOf(item.table);
    if (!table) return undefined;
    const pinned =
      sources.items.length === 1
        ? pinnedByWhere(conds.flatMap((c, k) => (k > 0 ? [AND, ...c] : c)))
        : pinnedFor(conds, item.alias);
    const n = keyCount(pinned, table);
    if (n === undefined) return undefined;
    rows *= n;
  }
  return rows;
}

const AND: Token = { kind: "word", value: "AND", text: "AND", depth: 0, at: 0 };
const JOINS = new Set(["JOIN", "LEFT", "RIGHT", "INNER", "OUTER", "CROSS", "FULL", "NATURAL"]);

/** The tables of a FROM clause (each with its alias) and the conjuncts of its JOINs' ON, or undefined if unreadable. */
function fromItems(tokens: readonly Token[]): { items: { table: string; alias: string }[]; on: Token[][] } | undefined {
  const items: { table: string; alias: string }[] = [];
  const on: Token[][] = [];
  let i = 0;
  while (i < tokens.length) {
    while (i < tokens.length && (tokens[i]?.value === "," || JOINS.has(tokens[i]?.value ?? ""))) i++;
    const name = tokens[i];
    if (!isName(name)) return undefined;
    let table = name.text;
    i++;
    if (tokens[i]?.value === "." && isName(tokens[i + 1])) {
      table = tokens[i + 1]?.text ?? table;
      i += 2;
    }
    if (tokens[i]?.value === "AS") i++;
    const alias =
      isName(tokens[i]) && !JOINS.has(tokens[i]?.value ?? "") && tokens[i]?.value !== "ON"
        ? tokens[i]?.text
        : undefined;
    if (alias !== undefined) i++;
    items.push({ table: lc(table), alias: lc(alias ?? table) });
    if (tokens[i]?.value === "ON") {
      const stop = tokens.findIndex((t, k) => k > i && t.depth === 0 && (t.value === "," || JOINS.has(t.value)));
      on.push(...conjuncts(tokens.slice(i + 1, stop < 0 ? undefined : stop), 0));
      i = stop < 0 ? tokens.length : stop;
    } else if (i < tokens.length && tokens[i]?.value !== "," && !JOINS.has(tokens[i]?.value ?? "")) return undefined;
  }
  return { items, on };
}

/** Columns of `alias` that conjuncts `alias.col = literal` (either side) pin, each to one value. */
function pinnedFor(conds: readonly Token[][], alias: string): Map<string, number> {
  const out = new Map<string, number>();
  const lit = (t: Token | undefined) => t?.kind === "string" || t?.kind === "number";
  for (const c of conds) {
    // `'x' = a.col` reads as `a.col = 'x'`.
    const [a, dot, col, eq, v] = lit(c[0]) && c.length === 5 ? [c[2], c[3], c[4], c[1], c[0]] : c;
    const pins = isName(a) && dot?.value === "." && isName(col) && eq?.value === "=" && lit(v);
    if (c.length === 5 && pins && lc(a.text) === alias) out.set(lc(col.text), 1);
  }
  return out;
}

/** The fewest rows a unique key of `table` that `pinned` fixes every column of allows, or undefined. */
function keyCount(pinned: ReadonlyMap<string, number>, table: Table): number | undefined {
  const pk = table.columns.filter((c) => c.pk > 0).map((c) => lc(c.name));
  const unique = table.indexes.filter((ix) => ix.unique && !ix.partial).map((ix) => ix.columns.map(lc));
  // rowid and its aliases name one row (a WITHOUT ROWID table has none, and the replay rejects the statement).
  const keys = [pk, ["rowid"], ["oid"], ["_rowid_"], ...unique];
  const counts = keys
    .filter((k) => k.length > 0 && k.every((c) => pinned.has(c)))
    .map((k) => k.reduce((n, c) => n * (pinned.get(c) ?? 1), 1));
  return counts.length > 0 ? Math.min(...counts) : undefined;
}

/**
 * The one table a SELECT reads (`FROM t`, `FROM main.t AS x`), or undefined when it reads none, joins several or
 * is compound (`UNION`, …). Subqueries in its WHERE do not count: they filter, they add no row.
 */
export function soleSource(tokens: readonly Token[]): string | undefined {
  const select = tokens.findIndex((t) => t.depth === 0 && t.kind === "word" && t.value === "SELECT");
  const from = tokens.findIndex((t, i) => i > select && t.depth === 0 && t.kind === "word" && t.value === "FROM");
  if (select < 0 || from < 0) return undefined;
  const at = tokens[from + 2]?.value === "." ? from + 3 : from + 1;
  const source = tokens[at];
  const top = tokens.slice(at + 1).filter((t) => t.depth === 0);
  const joins = top.some(
    (t) =>
      t.value === "," || ["JOIN", "UNION", "EXCEPT", "INTERSECT", "VALUES"].includes(t.kind === "word" ? t.value : ""),
  );
  return isName(source) && !joins ? lc(source.text) : undefined;
}

/** Whether an INSERT … SELECT adds no row when its one source table is empty (no aggregate without a GROUP BY). */
function copiesNothingFrom(sql: string, empty: (table: string) => boolean): boolean {
  const tokens = tokenize(sql, TOKENS);
  if (tokens.length >= TOKENS) return false;
  const source = soleSource(tokens);
  if (source === undefined || !empty(source)) return false;
  const select = tokens.findIndex((t) => t.depth === 0 && t.kind === "word" && t.value === "SELECT");
  // `SELECT COUNT(*) FROM empty` still gives a row.
  return !tokens.some((t, i) => i > select && t.depth === 0 && aggregateCall(tokens, i));
}

/**
 * Whether `table` provably holds no row just before `line`: this file created it, or emptied it with a DELETE
 * without WHERE (or LIMIT), and wrote no row into it since; an INSERT … SELECT from a table that is itself empty
 * adds none, and a rename carries the state to the new name. Never after a statement the replay rejected, which
 * may have run on production rows. Rows written by triggers are not followed.
 *
 * @example
 * emptyAt(file, "briefings", 73); // true after "DELETE FROM briefings;" at line 10 and no INSERT into it since
 */
export function emptyAt(file: MigrationFile, table: string, line: number): boolean {
  const empty = new Map<string, boolean>();
  const isEmpty = (t: string) => empty.get(t) === true;
  for (let i = 0; i < file.statements.length; i++) {
    const stmt = file.statements[i];
    const o = file.outcomes[i];
    if (!stmt || stmt.line >= line) break;
    // A statement the replay rejected (a table made outside the migrations) may write rows in production.
    if (o?.error) return false;
    if (!o || o.skipped) continue;
    const target = lc(o.target ?? "");
    for (const c of o.changes) {
      // CREATE TABLE IF NOT EXISTS on a table that was there creates nothing, and records no change.
      if (c.kind === "create-table") empty.set(lc(c.table), !/\bAS\s+SELECT\b/i.test(stmt.sql));
      if (c.kind === "drop-table") empty.delete(lc(c.table));
      if (c.kind === "rename-table") {
        empty.set(lc(c.table), isEmpty(lc(c.from)));
        empty.delete(lc(c.from));
      }
    }
    if (o.verb === "delete" && !o.hasWhere && !/\bLIMIT\b/i.test(stmt.sql)) empty.set(target, true);
    if (o.verb === "insert" || o.verb === "replace")
      if (!(o.insertSelect && copiesNothingFrom(stmt.sql, isEmpty))) empty.set(target, false);
  }
  return isEmpty(lc(table));
}

/**
 * The number of rows an `INSERT … VALUES (…), (…)` lists (its top-level parenthesised tuples after VALUES), or
 * undefined when it has no VALUES list or is too long to read.
 *
 * @example
 * valuesRows("INSERT OR REPLACE INTO meta (k, v) VALUES ('a', '1'), ('b', '2');"); // 2
 */
export function valuesRows(sql: string): number | undefined {
  const tokens = tokenize(sql, TOKENS);
  if (tokens.length >= TOKENS) return undefined;
  const at = tokens.findIndex((t) => t.depth === 0 && t.kind === "word" && t.value === "VALUES");
  if (at < 0) return undefined;
  return tokens.slice(at + 1).filter((t) => t.depth === 0 && t.value === "(").length;
}
