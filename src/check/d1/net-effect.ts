import type { StatementOutcome } from "../sql/replay.js";
import type { Column } from "../sql/schema.js";
import type { SqlStatement } from "../sql/split.js";
import { type Token, tokenize } from "../sql/tokens.js";
import type { MigrationFile } from "./rule.js";

/** What a file does around one statement: rows it moved or filled in before, tables it drops for good. */

const lc = (s: string) => s.toLowerCase();
/** A name as a regex fragment, quoted or bare: `status`, `"status"`, `[status]`, `` `status` ``. */
const nameRe = (name: string) => `["\`\\[]?${name.replace(/[^\w]/g, "")}["\`\\]]?`;
/** A SELECT that copies nothing (`WHERE 0`, `LIMIT 0`): CREATE TABLE … AS SELECT used only for the shape. */
const EMPTY_SELECT = /\bwhere\s+(0|false|1\s*=\s*0)\b|\blimit\s+0\b/i;

interface Step {
  stmt: SqlStatement;
  outcome: StatementOutcome;
}

function steps(file: MigrationFile, before: number): Step[] {
  return file.statements.flatMap((stmt, i) => {
    const outcome = file.outcomes[i];
    return outcome && !outcome.error && stmt.line < before ? [{ stmt, outcome }] : [];
  });
}

/**
 * Whether a statement before `line` copies the rows of `table` elsewhere: `INSERT … SELECT … FROM table` or
 * `CREATE TABLE … AS SELECT … FROM table` (not one that copies nothing).
 *
 * @example
 * copiedFirst(file, "order_items", dropLine); // true after "CREATE TABLE archive AS SELECT * FROM order_items;"
 */
export function copiedFirst(file: MigrationFile, table: string, line: number): boolean {
  const from = new RegExp(`\\bfrom\\s+${nameRe(table)}(?![\\w])`, "i");
  return steps(file, line).some(({ stmt, outcome }) => {
    if (!from.test(stmt.sql)) return false;
    if (outcome.verb === "insert" && outcome.insertSelect) return true;
    return outcome.verb === "create-table" && /\bas\s+select\b/i.test(stmt.sql) && !EMPTY_SELECT.test(stmt.sql);
  });
}

/**
 * Whether an UPDATE of `table` before `line` sets `column` on every row that was NULL: no WHERE, or a WHERE on
 * `column IS NULL` without a LIMIT (a batched backfill may leave rows behind).
 *
 * @example
 * filledIn(file, "orders", "status", rebuildLine); // true after "UPDATE orders SET status = 'new' WHERE status IS NULL;"
 */
export function filledIn(file: MigrationFile, table: string, column: string, line: number): boolean {
  const sets = new RegExp(`\\bset\\b[\\s\\S]*\\b${nameRe(column)}\\s*=`, "i");
  const isNull = new RegExp(`\\bwhere\\b[\\s\\S]*\\b${nameRe(column)}\\s+is\\s+null\\b`, "i");
  return steps(file, line).some(
    ({ stmt, outcome }) =>
      outcome.verb === "update" &&
      lc(outcome.target ?? "") === lc(table) &&
      sets.test(stmt.sql) &&
      (!outcome.hasWhere || (isNull.test(stmt.sql) && !/\blimit\b/i.test(stmt.sql))),
  );
}

/**
 * Whether, after renaming `table.from` to `to` at `line`, the file adds a column named `from` again and copies the
 * values back into it (`UPDATE table SET from = to`): the running version's queries on `from` still work.
 *
 * @example
 * keptAfterRename(file, "orders", "status", "state", 1); // true for RENAME, ADD COLUMN status, UPDATE … SET status = state
 */
export function keptAfterRename(file: MigrationFile, table: string, from: string, to: string, line: number): boolean {
  const readded = file.changes.some(
    (c) => c.kind === "add-column" && lc(c.table) === lc(table) && lc(c.column.name) === lc(from) && c.line > line,
  );
  if (!readded) return false;
  const copy = new RegExp(`\\bset\\b[\\s\\S]*\\b${nameRe(from)}\\s*=\\s*${nameRe(to)}(?![\\w])`, "i");
  return steps(file, Number.POSITIVE_INFINITY).some(
    ({ stmt, outcome }) =>
      stmt.line > line && outcome.verb === "update" && lc(outcome.target ?? "") === lc(table) && copy.test(stmt.sql),
  );
}

/**
 * Lower-cased tables the file drops and does not rebuild: their rows go with that DROP (reported by
 * d1/drop-table), so a cascade into them from another table's drop loses nothing more.
 *
 * @example
 * droppedInFile(file).has("order_items"); // true for "DROP TABLE order_items;"
 */
export function droppedInFile(file: MigrationFile): Set<string> {
  const rebuilt = new Set(file.changes.flatMap((c) => (c.kind === "modify-table" ? [lc(c.table)] : [])));
  return new Set(
    file.outcomes.flatMap((o) =>
      o.verb === "drop-table" && !o.error && o.target && !rebuilt.has(lc(o.target)) ? [lc(o.target)] : [],
    ),
  );
}

/** A token as compared across spellings: identifier quoting and keyword case gone, strings kept exact. */
const tokenKey = (t: Token): string =>
  t.kind === "string" ? `'${t.value}` : t.kind === "ident" || t.kind === "word" ? `n:${lc(t.text)}` : t.value;
export const isName = (t: Token | undefined): t is Token => t?.kind === "ident" || t?.kind === "word";

/**
 * The top-level WHERE condition of a statement as comparable keys: `"inv"."acceptedAt" IS NULL` and
 * `` `acceptedAt` is null `` give the same keys (quoting, keyword case, whitespace and the `table.` qualifier go).
 */
function whereKeys(sql: string, table: string): string[] | undefined {
  const tokens = tokenize(sql);
  const at = tokens.findIndex((t) => t.depth === 0 && t.kind === "word" && t.value === "WHERE");
  if (at < 0) return undefined;
  const keys: string[] = [];
  for (let i = at + 1; i < tokens.length; i++) {
    const t = tokens[i];
    if (!t || (t.value === ";" && t.kind === "punct")) break;
    // `inv.acceptedAt` and `main.inv.acceptedAt` compare as `acceptedAt`.
    if (isName(t) && tokens[i + 1]?.value === "." && [lc(table), "main"].includes(lc(t.text))) {
      i++;
      continue;
    }
    keys.push(tokenKey(t));
  }
  return keys;
}

/**
 * Whether the partial index created at `line` (`CREATE UNIQUE INDEX … WHERE cond`) covers only rows an earlier
 * `DELETE FROM table WHERE cond` (the same condition, however quoted or qualified) removed: no existing row is in
 * it, so it cannot fail.
 *
 * @example
 * partialRowsDeleted(file, "inv", 2); // true after "DELETE FROM `inv` WHERE `acceptedAt` IS NULL;" for … WHERE "inv"."acceptedAt" IS NULL
 */
export function partialRowsDeleted(file: MigrationFile, table: string, line: number): boolean {
  const create = file.statements.find((s, i) => s.line === line && file.outcomes[i]?.verb === "create-index");
  const cond = create && whereKeys(create.sql, table);
  if (!cond) return false;
  return steps(file, line).some(({ stmt, outcome }) => {
    if (outcome.verb !== "delete" || lc(outcome.target ?? "") !== lc(table)) return false;
    const deleted = whereKeys(stmt.sql, table);
    return deleted !== undefined && deleted.join(" ") === cond.join(" ");
  });
}

/** The plain columns listed after each `GROUP BY` / `PARTITION BY` (a list with an expression gives none). */
function groupings(tokens: readonly Token[]): string[][] {
  const out: string[][] = [];
  tokens.forEach((t, i) => {
    if ((t.value !== "GROUP" && t.value !== "PARTITION") || tokens[i + 1]?.value !== "BY") return;
    const cols: string[] = [];
    let j = i + 2;
    for (;;) {
      // `t.slug` groups by `slug`.
      while (isName(tokens[j]) && tokens[j + 1]?.value === "." && isName(tokens[j + 2])) j += 2;
      const name = tokens[j];
      if (!isName(name) || tokens[j + 1]?.value === "(") return;
      cols.push(lc(name.text));
      if (tokens[j + 1]?.value !== ",") break;
      j += 2;
    }
    out.push(cols);
  });
  return out;
}

/** Whether an UPDATE's top-level SET assigns one of `columns`. */
function setsOneOf(tokens: readonly Token[], columns: ReadonlySet<string>): boolean {
  const set = tokens.findIndex((t) => t.depth === 0 && t.value === "SET");
  if (set < 0) return false;
  for (let i = set + 1; i < tokens.length; i++) {
    const t = tokens[i];
    if (!t || (t.depth === 0 && (t.value === "WHERE" || t.value === "FROM"))) break;
    if (t.depth === 0 && isName(t) && tokens[i + 1]?.value === "=" && columns.has(lc(t.text))) return true;
  }
  return false;
}

/**
 * The line of a statement before `line` that de-duplicates `table` on exactly `columns`: an UPDATE that rewrites
 * one of them, or a DELETE, keyed on `GROUP BY` / `PARTITION BY` over those columns of that table, e.g.
 * `DELETE FROM t WHERE rowid NOT IN (SELECT MIN(rowid) FROM t GROUP BY slug)` before a unique index on t(slug).
 *
 * @example
 * dedupedFirst(file, "t", ["slug"], indexLine); // 3 when line 3 is the DELETE above
 */
export function dedupedFirst(
  file: MigrationFile,
  table: string,
  columns: readonly string[],
  line: number,
): number | undefined {
  const want = new Set(columns.map(lc));
  const same = (cols: string[]) => cols.length === want.size && cols.every((c) => want.has(c));
  return steps(file, line).find(({ stmt, outcome }) => {
    if ((outcome.verb !== "update" && outcome.verb !== "delete") || lc(outcome.target ?? "") !== lc(table))
      return false;
    const tokens = tokenize(stmt.sql);
    // The grouping must read the same table, in a subquery (the DELETE's own FROM is at depth 0).
    const readsTable = tokens.some(
      (t, i) =>
        t.depth > 0 && t.value === "FROM" && isName(tokens[i + 1]) && lc(tokens[i + 1]?.text ?? "") === lc(table),
    );
    if (!readsTable || !groupings(tokens).some(same)) return false;
    return outcome.verb === "delete" || setsOneOf(tokens, want);
  })?.stmt.line;
}

/** A single literal (`NULL`, a number, a string): what a rebuild copies when it drops a column's values. */
function literalOf(item: readonly Token[]): string | undefined {
  const [only, ...rest] = item;
  if (!only || rest.length > 0) return undefined;
  if (only.kind === "number") return only.text;
  if (only.kind === "string") return `'${only.text}'`;
  return only.kind === "word" && only.value === "NULL" ? "NULL" : undefined;
}

/** `INSERT INTO x (a, b) SELECT e1, e2 FROM …` as its target columns (undefined: none listed) and select items. */
export function insertSelectParts(sql: string): { columns?: string[]; items: Token[][] } | undefined {
  const tokens = tokenize(sql);
  const select = tokens.findIndex((t) => t.depth === 0 && t.value === "SELECT");
  if (select < 0) return undefined;
  const open = tokens.findIndex((t, i) => i < select && t.depth === 0 && t.value === "(");
  const columns =
    open < 0 ? undefined : tokens.slice(open + 1, select).flatMap((t) => (t.depth === 1 && isName(t) ? [t.text] : []));
  const items: Token[][] = [[]];
  for (const t of tokens.slice(select + 1)) {
    if (t.depth === 0 && (t.value === "FROM" || t.value === ";")) break;
    if (t.depth === 0 && t.value === ",") items.push([]);
    else items[items.length - 1]?.push(t);
  }
  return { columns, items };
}

/** Words that end a join's table name where an alias could stand. */
const NOT_ALIAS = new Set([
  "ON",
  "USING",
  "LEFT",
  "RIGHT",
  "INNER",
  "OUTER",
  "CROSS",
  "FULL",
  "NATURAL",
  "JOIN",
  "WHERE",
]);

/** The tables (by name and alias, lower-cased) a SELECT joins `ON` a condition that reads `column`. */
function joinedOn(tokens: readonly Token[], column: string): Set<string> {
  const out = new Set<string>();
  const ends = new Set(["JOIN", "WHERE", "GROUP", "ORDER", "LIMIT", "HAVING", "UNION", "EXCEPT", "INTERSECT", ","]);
  for (let i = 0; i < tokens.length; i++) {
    const table = tokens[i + 1];
    if (tokens[i]?.depth !== 0 || tokens[i]?.value !== "JOIN" || !isName(table)) continue;
    let at = i + 2;
    if (tokens[at]?.value === "AS") at++;
    const maybe = tokens[at];
    const alias = isName(maybe) && !(maybe.kind === "word" && NOT_ALIAS.has(maybe.value)) ? maybe : undefined;
    let k = alias ? at + 1 : at;
    if (tokens[k]?.value !== "ON") continue;
    let reads = false;
    for (k++; k < tokens.length; k++) {
      const t = tokens[k];
      if (!t || (t.depth === 0 && ends.has(t.value))) break;
      if (isName(t) && lc(t.text) === lc(column)) reads = true;
    }
    if (reads) for (const name of [table, alias]) if (name) out.add(lc(name.text));
  }
  return out;
}

/**
 * The column, new in the rebuilt table, that a rebuild's copy carries `column`'s values into, or undefined: the
 * select item that fills it reads `column` (`CAST(city_id AS TEXT)`, a subquery on it), or reads a table the copy
 * joins on a condition over `column` (`COALESCE(c.name, '')` with `LEFT JOIN cities c ON c.id = p.city_id`). The
 * old column is gone, but what its values said lives on, converted.
 *
 * @example
 * carriedInto(file, rebuild, "city_id"); // "city" for the join above filling people_new.city
 */
export function carriedInto(
  file: MigrationFile,
  rebuild: {
    before: { columns: { name: string }[] };
    after: { columns: { name: string; hidden: number }[] };
    line: number;
    dropLine: number;
  },
  column: string,
): string | undefined {
  const had = new Set(rebuild.before.columns.map((c) => lc(c.name)));
  for (const stmt of file.statements) {
    if (!file.copyLines.has(stmt.line) || stmt.line < rebuild.line || stmt.line > rebuild.dropLine) continue;
    const parts = insertSelectParts(stmt.sql);
    if (!parts || parts.items.some((it) => it.length === 1 && it[0]?.value === "*")) continue;
    const names = parts.columns ?? rebuild.after.columns.filter((c) => c.hidden === 0).map((c) => c.name);
    const joined = joinedOn(tokenize(stmt.sql), column);
    const found = parts.items.findIndex((item, i) => {
      const target = names[i];
      if (!target || had.has(lc(target))) return false;
      return item.some(
        (t, k) => isName(t) && (lc(t.text) === lc(column) || (joined.has(lc(t.text)) && item[k + 1]?.value === ".")),
      );
    });
    if (found >= 0) return names[found];
  }
  return undefined;
}

/**
 * Columns a rebuild keeps by name but fills with a constant instead of their values: drizzle writes
 * `INSERT INTO __new_articles("id", "category_id") SELECT "id", NULL FROM articles` when a column's type or
 * reference changes in a way it cannot convert, and every value of `articles.category_id` is lost.
 *
 * @example
 * wipedByRebuild(file, rebuild); // [{ column: "category_id", value: "NULL", line: 38 }]
 */
export function wipedByRebuild(
  file: MigrationFile,
  rebuild: {
    table: string;
    before: { columns: { name: string }[] };
    after: { columns: { name: string; hidden: number }[] };
    line: number;
    dropLine: number;
  },
): { column: string; value: string; line: number }[] {
  const had = new Set(rebuild.before.columns.map((c) => lc(c.name)));
  return file.statements.flatMap((stmt) => {
    if (!file.copyLines.has(stmt.line) || stmt.line < rebuild.line || stmt.line > rebuild.dropLine) return [];
    const parts = insertSelectParts(stmt.sql);
    if (!parts || parts.items.some((it) => it.length === 1 && it[0]?.value === "*")) return [];
    const names = parts.columns ?? rebuild.after.columns.filter((c) => c.hidden === 0).map((c) => c.name);
    return parts.items.flatMap((item, i) => {
      const column = names[i];
      const value = literalOf(item);
      return column && value && had.has(lc(column)) ? [{ column, value, line: stmt.line }] : [];
    });
  });
}

/** Lower-cased name after the first top-level `FROM`/`INTO`/`TABLE` keyword `kw`, if any. */
function nameAfter(tokens: readonly Token[], kw: string): string | undefined {
  const at = tokens.findIndex((t, i) => t.value === kw && isName(tokens[i + 1]));
  const name = at < 0 ? undefined : tokens[at + 1];
  return name ? lc(name.text) : undefined;
}

/**
 * The statements of a save-and-restore around dropping `table` and creating it again: rows saved into a scratch
 * table first (`CREATE TABLE __tmp AS SELECT * FROM t`, or `INSERT INTO __tmp SELECT … FROM t`), then put back
 * (`INSERT INTO t SELECT * FROM __tmp`). Returns the restore's line, or undefined when the rows are not put back.
 *
 * @example
 * restoredAfter(file, "article_translations", dropLine); // 58 for the save at 22 and the restore at 58
 */
export function restoredAfter(file: MigrationFile, table: string, line: number): number | undefined {
  const t = lc(table);
  const saved = new Set<string>();
  for (const { stmt, outcome } of steps(file, line)) {
    const tokens = tokenize(stmt.sql, 200);
    const from = tokens.some(
      (x, i) => x.value === "FROM" && isName(tokens[i + 1]) && lc(tokens[i + 1]?.text ?? "") === t,
    );
    if (!from || !outcome.target || lc(outcome.target) === t) continue;
    if (outcome.verb === "create-table" || (outcome.verb === "insert" && outcome.insertSelect))
      saved.add(lc(outcome.target));
  }
  if (saved.size === 0) return undefined;
  return steps(file, Number.POSITIVE_INFINITY).find(({ stmt, outcome }) => {
    if (stmt.line <= line || outcome.verb !== "insert" || !outcome.insertSelect || lc(outcome.target ?? "") !== t)
      return false;
    const source = nameAfter(tokenize(stmt.sql, 400), "FROM");
    return source !== undefined && saved.has(source);
  })?.stmt.line;
}

/**
 * A full-text index dropped and created again, then filled anew in the same file: `CREATE VIRTUAL TABLE t USING
 * fts5(…)` after the drop, then `INSERT INTO t … SELECT … FROM source` or FTS's `INSERT INTO t(t) VALUES
 * ('rebuild')`. Its rows are derived from another table, so the rebuild loses nothing. Returns the refill's line.
 *
 * @example
 * refilledIndex(file, "papers_fts", dropLine); // 19 for "INSERT INTO papers_fts(rowid, title) SELECT rowid, title FROM papers"
 */
export function refilledIndex(file: MigrationFile, table: string, line: number): number | undefined {
  const t = lc(table);
  const all = steps(file, Number.POSITIVE_INFINITY).filter(({ stmt }) => stmt.line > line);
  const created = all.find(
    ({ stmt, outcome }) =>
      lc(outcome.target ?? "") === t &&
      /^(?:\s+|--[^\n]*\n|\/\*[\s\S]*?\*\/)*CREATE\s+VIRTUAL\s+TABLE\b[^(]*\bUSING\s+fts[345]\b/i.test(stmt.sql),
  );
  if (!created) return undefined;
  return all.find(({ stmt, outcome }) => {
    if (stmt.line <= created.stmt.line || outcome.verb !== "insert" || lc(outcome.target ?? "") !== t) return false;
    if (outcome.insertSelect) {
      const source = nameAfter(tokenize(stmt.sql, 400), "FROM");
      return source !== undefined && source !== t;
    }
    return /\bVALUES\s*\(\s*'rebuild'\s*\)/i.test(stmt.sql);
  })?.stmt.line;
}

/**
 * Whether an INSERT … SELECT only moves a table's own rows around its drop-and-create: saved into a scratch table
 * this file creates and drops, or restored from one into the table the file created again. Like a rebuild's copy,
 * it is part of the schema change, not a data change of its own.
 *
 * @example
 * isSaveOrRestore(file, "INSERT INTO `t` SELECT * FROM `__tmp_t`;", outcome); // true when t is dropped and created again
 */
export function isSaveOrRestore(file: MigrationFile, sql: string, outcome: StatementOutcome): boolean {
  if (outcome.verb !== "insert" || !outcome.insertSelect || !outcome.target) return false;
  const target = lc(outcome.target);
  const source = nameAfter(tokenize(sql, 400), "FROM");
  if (!source) return false;
  const recreated = file.recreated ?? new Set<string>();
  const scratch = (t: string) => file.createdHere.has(t) && droppedInFile(file).has(t);
  return (recreated.has(target) && scratch(source)) || (scratch(target) && recreated.has(source));
}

/** The columns of each `ROW_NUMBER() OVER (PARTITION BY …)` in a statement: within them, the numbers are distinct. */
function rowNumberPartitions(tokens: readonly Token[]): string[][] {
  return tokens.flatMap((t, k) => {
    if (t.value !== "ROW_NUMBER" || tokens[k + 3]?.value !== "OVER" || tokens[k + 5]?.value !== "PARTITION") return [];
    return groupings(tokens.slice(k + 5)).slice(0, 1);
  });
}

/**
 * Whether a unique key `columns` is `(a, …, n)` where the file fills n with `ROW_NUMBER() OVER (PARTITION BY a, …)`
 * while copying the table's rows (`INSERT … SELECT …, ROW_NUMBER() OVER (PARTITION BY a ORDER BY …) FROM table`):
 * the numbers are distinct within each `a`, so the copied rows cannot break the key.
 *
 * @example
 * numberedWithin(file, "steps", ["plan_id", "position"]); // true for … ROW_NUMBER() OVER (PARTITION BY plan_id …) FROM steps
 */
export function numberedWithin(file: MigrationFile, table: string, columns: readonly string[]): boolean {
  const want = columns.map(lc);
  return file.statements.some((stmt, i) => {
    const o = file.outcomes[i];
    if (!o || o.error || o.verb !== "insert" || !o.insertSelect) return false;
    const tokens = tokenize(stmt.sql);
    const readsTable = tokens.some(
      (t, k) => t.value === "FROM" && isName(tokens[k + 1]) && lc(tokens[k + 1]?.text ?? "") === lc(table),
    );
    if (!readsTable && lc(o.target ?? "") !== lc(table)) return false;
    return rowNumberPartitions(tokens).some((p) => p.length === want.length - 1 && p.every((c) => want.includes(c)));
  });
}

/** `'private'` / `0` as SQLite stores a column default, as the value it gives every existing row. */
function defaultValue(stored: string | null): string | undefined {
  if (stored === null || /^null$/i.test(stored)) return "NULL";
  const str = /^'(.*)'$/s.exec(stored);
  if (str) return `'${(str[1] ?? "").replace(/''/g, "'")}'`;
  return /^-?\d+(\.\d+)?$/.test(stored) ? stored : undefined;
}

/** The top-level `AND` conjuncts of a WHERE, as token lists. */
export function conjuncts(tokens: readonly Token[], depth: number): Token[][] {
  const out: Token[][] = [[]];
  for (const t of tokens) {
    if (t.depth === depth && t.kind === "word" && t.value === "AND") out.push([]);
    else out[out.length - 1]?.push(t);
  }
  return out;
}

/** A condition's tokens with every `table.` qualifier dropped, so `"t"."col"` reads as `col`. */
function unqualified(part: readonly Token[]): Token[] {
  return part.filter((t, i) => t.value !== "." && !(isName(t) && part[i + 1]?.value === "."));
}

/** `col = 'x'` or `'x' = col` (also `==`, `IS`), with `table.` dropped: the column and the literal's key. */
export function equality(part: readonly Token[]): { column: string; value: string } | undefined {
  const plain = unqualified(part);
  const eq = plain.findIndex((t) => t.value === "=" || t.value === "IS");
  const next = plain[eq + 1]?.value === "=" ? eq + 2 : eq + 1;
  const [left, right] = [plain.slice(0, eq), plain.slice(next)];
  if (eq < 0 || left.length !== 1 || right.length !== 1) return undefined;
  const key = (t: Token | undefined) =>
    t?.kind === "string" ? `'${t.text}'` : t?.kind === "number" ? t.text : t?.value === "NULL" ? "NULL" : undefined;
  const [l, r] = [left[0], right[0]];
  if (isName(l) && l.value !== "NULL" && key(r) !== undefined) return { column: lc(l.text), value: key(r) ?? "" };
  if (isName(r) && r.value !== "NULL" && key(l) !== undefined) return { column: lc(r.text), value: key(l) ?? "" };
  return undefined;
}

/**
 * The value every existing row of `table` holds, after this file, in each column the file adds before `line`: the
 * DEFAULT of `ADD COLUMN`, or the constant a rebuild's copy puts in a column the old table lacked.
 */
function newColumnValues(file: MigrationFile, table: string, line: number): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  for (const c of file.changes) {
    if (lc(c.table) !== lc(table) || c.line >= line) continue;
    if (c.kind === "add-column") out.set(lc(c.column.name), defaultValue(c.column.default));
    if (c.kind !== "modify-table") continue;
    const copy = file.statements.find((s) => file.copyLines.has(s.line) && s.line >= c.line && s.line <= c.dropLine);
    const parts = copy && insertSelectParts(copy.sql);
    const names = parts?.columns ?? c.after.columns.filter((col) => col.hidden === 0).map((col) => col.name);
    for (const n of c.changes) {
      if (n.kind !== "add-column") continue;
      const at = names.findIndex((name) => lc(name) === lc(n.column.name));
      const item = at >= 0 ? parts?.items[at] : undefined;
      out.set(lc(n.column.name), item ? literalOf(item) : defaultValue(n.column.default));
    }
  }
  return out;
}

/**
 * Whether the partial index created at `line` selects no row that exists when it is built, nor any the running
 * version writes: its WHERE requires a column this file adds to hold another value than every existing row got
 * (its DEFAULT, or the constant a rebuild's copy wrote), and no UPDATE of the file sets that column
 * (`ADD COLUMN visibility TEXT NOT NULL DEFAULT 'private'` before `CREATE UNIQUE INDEX … WHERE visibility = 'public'`).
 * Such an index cannot fail and rejects nothing the running version writes.
 *
 * @example
 * partialOnlyNewRows(file, "groups", "groups_public_slug"); // true for the pair above
 */
export function partialOnlyNewRows(file: MigrationFile, table: string, index: string): boolean {
  const create = file.statements.find((_, i) => {
    const o = file.outcomes[i];
    return o?.verb === "create-index" && !o.error && lc(o.target ?? "") === lc(index);
  });
  if (!create) return false;
  const line = create.line;
  const tokens = tokenize(create.sql);
  const at = tokens.findIndex((t) => t.depth === 0 && t.kind === "word" && t.value === "WHERE");
  if (at < 0) return false;
  const values = newColumnValues(file, table, line);
  const written = (column: string) =>
    file.statements.some((s, i) => {
      const o = file.outcomes[i];
      return o?.verb === "update" && lc(o.target ?? "") === lc(table) && setsOneOf(tokenize(s.sql), new Set([column]));
    });
  return conjuncts(tokens.slice(at + 1), 0).some((part) => {
    // `col IS NOT NULL` on a column every existing row holds NULL in selects none of them.
    const notNull = notNullTest(part);
    if (notNull !== undefined) return values.get(notNull) === "NULL" && !written(notNull);
    const eq = equality(part);
    const given = eq && values.get(eq.column);
    return eq !== undefined && given !== undefined && given !== eq.value && !written(eq.column);
  });
}

/** The column of `col IS NOT NULL` / `col NOT NULL` / `col NOTNULL` (`table.` dropped), else undefined. */
function notNullTest(part: readonly Token[]): string | undefined {
  const [col, ...rest] = unqualified(part);
  const tail = rest.map((t) => t.value).join(" ");
  if (!col || !isName(col) || col.value === "NULL") return undefined;
  return tail === "IS NOT NULL" || tail === "NOT NULL" || tail === "NOTNULL" ? lc(col.text) : undefined;
}

/**
 * Where the file adds `table.column` again after dropping it at `line` (`DROP COLUMN phone; … ADD COLUMN phone
 * TEXT;`), and the new column: the column survives, its values do not.
 *
 * @example
 * readdedAfter(file, "members", "phone", 2)?.line; // 7 for "ALTER TABLE members ADD COLUMN phone TEXT;" on line 7
 */
export function readdedAfter(
  file: MigrationFile,
  table: string,
  column: string,
  line: number,
): { line: number; column: Column } | undefined {
  for (const c of file.changes)
    if (c.kind === "add-column" && lc(c.table) === lc(table) && lc(c.column.name) === lc(column) && c.line > line)
      return { line: c.line, column: c.column };
  return undefined;
}

/**
 * Where the file added `table.column` before it drops it at `line` (`ADD COLUMN _status_bak; … DROP COLUMN
 * _status_bak;`): a scratch column for moving values, which no deployed version ever held or named.
 *
 * @example
 * addedBefore(file, "orders", "_status_bak", 9); // 1 for "ALTER TABLE orders ADD COLUMN _status_bak TEXT;" on line 1
 */
export function addedBefore(file: MigrationFile, table: string, column: string, line: number): number | undefined {
  return file.changes.find(
    (c) => c.kind === "add-column" && lc(c.table) === lc(table) && lc(c.column.name) === lc(column) && c.line < line,
  )?.line;
}
