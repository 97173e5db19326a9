import Database from "better-sqlite3";
import type { Column } from "../sql/schema.js";
import { sqlOf } from "../sql/schema.js";
import { type Token, tokenize } from "../sql/tokens.js";
import { conjuncts, isName } from "./net-effect.js";
import type { MigrationFile } from "./rule.js";

/** UPDATE and DELETE statements whose WHERE no existing row can match, judged on what the file knows of the rows. */

const lc = (s: string) => s.toLowerCase();
const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
/** Functions that give the same answer for the same arguments: evaluating them once says what they say on every row. */
const PURE = new Set([
  "ABS",
  "CAST",
  "COALESCE",
  "GLOB",
  "HEX",
  "IFNULL",
  "IIF",
  "INSTR",
  "LENGTH",
  "LIKE",
  "LOWER",
  "LTRIM",
  "NULLIF",
  "REPLACE",
  "ROUND",
  "RTRIM",
  "SUBSTR",
  "SUBSTRING",
  "TRIM",
  "TYPEOF",
  "UPPER",
]);
/** Words that may stand before `(` without calling a function. */
const OPERATORS = new Set(["AND", "OR", "NOT", "IN", "IS", "LIKE", "GLOB", "BETWEEN", "CASE", "WHEN", "THEN", "ELSE"]);
/** Where a statement's WHERE ends. */
const AFTER_WHERE = new Set(["RETURNING", "ORDER", "LIMIT"]);

/**
 * Columns of `table` whose value the file knows on every existing row just before `line`: added by the file with
 * `ALTER TABLE … ADD COLUMN` (each row holds the constant DEFAULT, or NULL), when nothing since wrote into the table
 * or changed it otherwise.
 */
function knownColumns(file: MigrationFile, table: string, line: number): Column[] {
  const t = lc(table);
  const added = file.changes.filter(
    (c): c is Extract<typeof c, { kind: "add-column" }> =>
      c.kind === "add-column" && lc(c.table) === t && c.line < line && c.column.hidden === 0,
  );
  const first = Math.min(...added.map((c) => c.line));
  const touched =
    file.changes.some((c) => c.kind !== "add-column" && lc(c.table) === t && c.line > first && c.line < line) ||
    file.statements.some((s, i) => {
      const o = file.outcomes[i];
      const writes = o?.verb === "insert" || o?.verb === "replace" || o?.verb === "update";
      return writes && s.line > first && s.line < line && lc(o.target ?? "") === t;
    });
  // A default that is not a literal (CURRENT_TIMESTAMP, an expression) is not one known value.
  const constant = (d: string | null) => d === null || /^(-?\d+(\.\d+)?|'([^']|'')*'|null|true|false)$/i.test(d);
  return touched ? [] : added.map((c) => c.column).filter((c) => constant(c.default));
}

/** The tokens of a statement's top-level WHERE, or undefined without one. */
function whereOf(tokens: readonly Token[]): Token[] | undefined {
  const at = tokens.findIndex((t) => t.depth === 0 && t.kind === "word" && t.value === "WHERE");
  if (at < 0) return undefined;
  const end = tokens.findIndex(
    (t, i) => i > at && t.depth === 0 && ((t.kind === "word" && AFTER_WHERE.has(t.value)) || t.value === ";"),
  );
  return tokens.slice(at + 1, end < 0 ? tokens.length : end);
}

/** Splits on a top-level keyword, unless CASE or BETWEEN sit at the top level (their AND / OR is their own). */
function splitOn(tokens: readonly Token[], word: "AND" | "OR"): Token[][] {
  const own = tokens.some((t) => t.depth === 0 && t.kind === "word" && (t.value === "CASE" || t.value === "BETWEEN"));
  if (own) return [[...tokens]];
  return word === "AND"
    ? conjuncts(tokens, 0)
    : tokens.reduce<Token[][]>(
        (out, t) => {
          if (t.depth === 0 && t.kind === "word" && t.value === "OR") out.push([]);
          else out[out.length - 1]?.push(t);
          return out;
        },
        [[]],
      );
}

/**
 * Whether a condition reads only the known columns (qualified by nothing but the table), through operators and pure
 * functions: no subquery, no parameter, no random() or date('now'), so one evaluation holds for every row.
 */
function evaluable(part: readonly Token[], table: string, known: ReadonlySet<string>): boolean {
  let reads = false;
  for (let i = 0; i < part.length; i++) {
    const t = part[i];
    const next = part[i + 1];
    if (!t || t.value === "SELECT" || t.value === "?" || t.value === ":" || t.value === "@" || t.value === "$")
      return false;
    if (next?.value === "(" && t.kind === "word" && !PURE.has(t.value) && !OPERATORS.has(t.value)) return false;
    if (next?.value === "." && (!isName(t) || lc(t.text) !== lc(table))) return false;
    if (isName(t) && known.has(lc(t.text))) reads = true;
  }
  return reads;
}

/**
 * Whether the WHERE of the UPDATE or DELETE at statement `index` matches no row of its table: in each top-level `OR`
 * branch some top-level `AND` part reads only columns whose value on every existing row the file knows (a column
 * it added with a constant DEFAULT and has not written since), and SQLite says that part is false (or NULL) for
 * that value. E.g. `ALTER TABLE decisions ADD COLUMN status TEXT DEFAULT 'local'` before
 * `UPDATE decisions SET … WHERE status IS NULL OR TRIM(status) = ''`.
 *
 * @example
 * matchesNoRow(file, 2); // true for the UPDATE above
 */
export function matchesNoRow(file: MigrationFile, index: number): boolean {
  const stmt = file.statements[index];
  const o = file.outcomes[index];
  if (!stmt || !o || o.error || !o.hasWhere || !o.target || (o.verb !== "update" && o.verb !== "delete")) return false;
  const tokens = tokenize(stmt.sql);
  // `UPDATE t SET … FROM other WHERE …` reads another table's rows too.
  if (tokens.some((t) => t.depth === 0 && t.kind === "word" && t.value === "FROM") && o.verb === "update") return false;
  const known = knownColumns(file, o.target, stmt.line);
  const where = whereOf(tokens);
  if (known.length === 0 || !where || where.length === 0) return false;
  const names = new Set(known.map((c) => lc(c.name)));
  const db = new Database(":memory:");
  try {
    const cols = known.map((c) => `${quote(c.name)} ${c.type}${c.default === null ? "" : ` DEFAULT ${c.default}`}`);
    db.exec(`CREATE TABLE ${quote(o.target)} (${cols.join(", ")}); INSERT INTO ${quote(o.target)} DEFAULT VALUES;`);
    const isFalse = (part: Token[]) => {
      if (!evaluable(part, o.target ?? "", names)) return false;
      try {
        const row = db.prepare(`SELECT count(*) AS n FROM ${quote(o.target ?? "")} WHERE (${sqlOf(part)})`).get() as {
          n: number;
        };
        return row.n === 0;
      } catch {
        return false;
      }
    };
    return splitOn(where, "OR").every((branch) => splitOn(branch, "AND").some(isFalse));
  } catch {
    return false;
  } finally {
    db.close();
  }
}
