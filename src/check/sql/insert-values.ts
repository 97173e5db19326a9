import { nameOf, type Token, tokenize } from "./tokens.js";

/** An `INSERT … (columns) VALUES (…), (…)` as its target, its column list and each row's items (as tokens). */
export interface InsertValues {
  table: string;
  columns: string[];
  rows: Token[][][];
}

/** Tokens read of one statement: a 10 MB seed is read only as far as this. */
const TOKENS = 20000;

/**
 * The rows of an `INSERT [OR x] INTO t (a, b) VALUES (…), (…)` (an upsert tail after them is ignored), or undefined
 * for any other statement, one without a column list, or one too long to read.
 *
 * @example
 * insertValues("INSERT INTO users (email, role) VALUES ('a@b.c', 'admin')")?.rows[0]?.[1]?.[0]?.text; // "admin"
 */
export function insertValues(sql: string): InsertValues | undefined {
  const tokens = tokenize(sql, TOKENS);
  if (tokens.length >= TOKENS) return undefined;
  const first = tokens[0]?.value;
  if (first !== "INSERT" && first !== "REPLACE") return undefined;
  const into = tokens.findIndex((t) => t.depth === 0 && t.kind === "word" && t.value === "INTO");
  if (into < 0) return undefined;
  let at = into + 1;
  // `main.users`: the name after the dot.
  if (tokens[at + 1]?.value === ".") at += 2;
  const named = nameOf(tokens[at]);
  at++;
  if (!named || tokens[at]?.value !== "(") return undefined;
  const close = tokens.findIndex((t, i) => i > at && t.depth === 0 && t.value === ")");
  const columns = tokens.slice(at + 1, close).flatMap((t) => (t.value === "," ? [] : [nameOf(t) ?? ""]));
  if (close < 0 || tokens[close + 1]?.value !== "VALUES") return undefined;
  const rows: Token[][][] = [];
  let i = close + 2;
  while (tokens[i]?.value === "(" && tokens[i]?.depth === 0) {
    const row: Token[][] = [[]];
    for (i++; i < tokens.length && !(tokens[i]?.depth === 0 && tokens[i]?.value === ")"); i++) {
      const t = tokens[i];
      if (!t) break;
      if (t.depth === 1 && t.value === ",") row.push([]);
      else row[row.length - 1]?.push(t);
    }
    rows.push(row);
    i++;
    if (tokens[i]?.value !== ",") break;
    i++;
  }
  return { table: named, columns, rows };
}
