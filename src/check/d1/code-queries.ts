import { commentedOut, lineAt } from "./code-text.js";

/** One SQL statement the Workers' code hands D1 exactly as written. */
export interface CodeQuery {
  /** The file, as messages show it. */
  file: string;
  /** The line of `.prepare(` (or of the `sql` tag). */
  line: number;
  /** The statement, with the `sql` tag's values as `?`. */
  sql: string;
}

const STATEMENT = /^\s*(SELECT|INSERT|UPDATE|DELETE|WITH|REPLACE)\b/i;

/**
 * The statements in `text` whose whole text is known: a string literal passed straight to `.prepare(` (no
 * interpolation, no concatenation), and blastwall's `sql` tag, whose values are parameters (not when one of them is
 * itself `sql…`: an identifier or a fragment). Commented-out lines are left out.
 *
 * @example
 * queriesIn('db.prepare("SELECT id FROM memories WHERE k = ?")', "src/index.ts"); // [{ file, line: 1, sql: "SELECT id …" }]
 */
export function queriesIn(text: string, file: string): CodeQuery[] {
  const out: CodeQuery[] = [];
  for (const m of text.matchAll(/\.prepare\s*\(\s*/g)) {
    const at = m.index + m[0].length;
    const literal = readLiteral(text, at);
    if (!literal || !/^\s*[,)]/.test(text.slice(literal.end, literal.end + 20))) continue;
    const [sql] = literal.parts;
    if (literal.parts.length === 1 && sql !== undefined && !commentedOut(text, m.index))
      out.push({ file, line: lineAt(text, m.index), sql });
  }
  for (const m of text.matchAll(/\bsql\s*`/g)) {
    const literal = readLiteral(text, m.index + m[0].length - 1);
    if (!literal || commentedOut(text, m.index) || literal.values.some((v) => /\bsql\b/.test(v))) continue;
    out.push({ file, line: lineAt(text, m.index), sql: literal.parts.join("?") });
  }
  return out.filter((q) => STATEMENT.test(q.sql));
}

interface Literal {
  /** The text between interpolations, unescaped (one part when there is none). */
  parts: string[];
  /** The interpolated expressions' source. */
  values: string[];
  end: number;
}

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r" };

/** The string or template literal starting at `start` (its quote), or undefined when there is none. */
function readLiteral(text: string, start: number): Literal | undefined {
  const quote = text[start];
  if (quote !== '"' && quote !== "'" && quote !== "`") return undefined;
  const parts: string[] = [];
  const values: string[] = [];
  let part = "";
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i] ?? "";
    if (c === "\\") {
      const next = text[++i] ?? "";
      part += ESCAPES[next] ?? next;
    } else if (c === quote) {
      parts.push(part);
      return { parts, values, end: i + 1 };
    } else if (c === "\n" && quote !== "`") return undefined;
    else if (quote === "`" && c === "$" && text[i + 1] === "{") {
      const close = closingBrace(text, i + 1);
      if (close === undefined) return undefined;
      parts.push(part);
      values.push(text.slice(i + 2, close));
      part = "";
      i = close;
    } else part += c;
  }
  return undefined;
}

/** The index of the `}` that closes the `{` at `open`, skipping nested braces and string literals. */
function closingBrace(text: string, open: number): number | undefined {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === "{") depth++;
    else if (c === "}" && --depth === 0) return i;
    else if (c === '"' || c === "'" || c === "`") {
      const inner = readLiteral(text, i);
      if (!inner) return undefined;
      i = inner.end - 1;
    }
  }
  return undefined;
}

/** Tables the code creates itself (`CREATE TABLE [IF NOT EXISTS] t`), lower-cased: their shape is the code's too. */
export function tablesCreatedIn(text: string): string[] {
  return [...text.matchAll(/\bCREATE\s+(?:VIRTUAL\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?\\?["`[]?(\w+)/gi)].flatMap(
    (m) => (commentedOut(text, m.index) ? [] : [(m[1] ?? "").toLowerCase()]),
  );
}

/** Tables a statement reads or writes: after FROM, JOIN, INTO, UPDATE (lower-cased), less its own CTE names. */
export function tablesNamed(sql: string): string[] {
  const ctes = new Set(
    [
      ...sql.matchAll(
        /(?:\bWITH(?:\s+RECURSIVE)?|,)\s*["`[]?(\w+)["`\]]?\s*(?:\([^()]*\))?\s+AS\s*(?:NOT\s+)?(?:MATERIALIZED\s+)?\(/gi,
      ),
    ].map((m) => (m[1] ?? "").toLowerCase()),
  );
  const named = [
    // A name followed by `(` after FROM or JOIN is a table-valued function (json_each); after INTO, the column list.
    ...sql.matchAll(/\b(?:FROM|JOIN|UPDATE(?:\s+OR\s+\w+)?)\s+["`[]?([\w$]+)(?![\w$])["`\]]?(?!\s*\()/gi),
    ...sql.matchAll(/\bINTO\s+["`[]?([\w$]+)/gi),
  ].map((m) => (m[1] ?? "").toLowerCase());
  return [...new Set(named.filter((t) => !ctes.has(t)))];
}
