import { type CodeMentions, runningVersion } from "../../d1/code-mentions.js";
import { matchesNoRow } from "../../d1/no-row.js";
import { emptyAt, isSingleton, keyedRows } from "../../d1/row-bounds.js";
import { existedBefore, flatChanges, ident, type MigrationFile } from "../../d1/rule.js";
import { setAssignments, type Token, tokenize } from "../../sql/tokens.js";
import type { Hit } from "../report.js";
import { defineRule } from "../rule.js";

const lc = (s: string) => s.toLowerCase();
/**
 * Functions whose result has another shape than their argument: JSON rebuilt or cut, a type cast, a substring, a
 * date or number reformatted. `REPLACE`, `COALESCE`, `LOWER`, `TRIM` and the like keep the shape the code reads.
 */
const RESHAPING =
  /^(JSON\w*|CAST|SUBSTR|SUBSTRING|PRINTF|FORMAT|DATE|TIME|DATETIME|STRFTIME|UNIXEPOCH|JULIANDAY|HEX|UNHEX|GROUP_CONCAT)$/;
/** Operators that build a new value from the old one: `'<p>' || body` (two `|` tokens), `price * 100`. */
const RESHAPING_OPERATORS = new Set(["|", "*", "/", "%"]);

const isColumn = (t: Token | undefined, column: string, next: Token | undefined) =>
  (t?.kind === "word" || t?.kind === "ident") && lc(t.text) === column && next?.value !== "(";

/** Whether the tokens at `depth` around index `i` (its own parenthesis group) hold a reshaping operator. */
function groupReshapes(tokens: readonly Token[], i: number, depth: number): { reshapes: boolean; start: number } {
  let start = i;
  while (start > 0 && (tokens[start - 1]?.depth ?? -1) >= depth) start--;
  let end = i;
  while (end < tokens.length - 1 && (tokens[end + 1]?.depth ?? -1) >= depth) end++;
  const reshapes = tokens
    .slice(start, end + 1)
    .some((t) => t.depth === depth && t.kind === "punct" && RESHAPING_OPERATORS.has(t.value));
  return { reshapes, start };
}

/**
 * Whether the value rebuilds the column's own values into another shape: from the column outwards, a parenthesis
 * group that joins it with `||`, `*`, `/` or `%`, or a reshaping function around it. Reading it in a comparison
 * (`CASE WHEN c = 'x'`), under `COALESCE`/`NULLIF`/`REPLACE`, or in a subquery's lookup (`WHERE map.old_id = t.c`)
 * keeps the existing values as they are.
 */
function reshapes(value: readonly Token[], column: string): boolean {
  return value.some((t, i) => {
    if (!isColumn(t, column, value[i + 1])) return false;
    for (let depth = t.depth, at = i; ; ) {
      const group = groupReshapes(value, at, depth);
      if (group.reshapes) return true;
      const open = value[group.start - 1];
      if (depth === 0 || open?.value !== "(") return false;
      const fn = value[group.start - 2];
      if (fn?.kind === "word" && RESHAPING.test(fn.value)) return true;
      // A subquery looks the value up; what it returns is another row's value, not this one reshaped.
      if (value[group.start]?.value === "SELECT") return false;
      depth = open.depth;
      at = group.start - 1;
    }
  });
}

/** Whether the tokens read `column` itself (bare or qualified; not a function name, not a string). */
function reads(tokens: readonly Token[], column: string): boolean {
  return tokens.some((t, i) => isColumn(t, column, tokens[i + 1]));
}

/** `WHERE … c IS NULL …` (and not `IS NOT NULL`): only rows without a value are rewritten. */
function onlyNulls(tokens: readonly Token[], column: string): boolean {
  const where = tokens.findIndex((t) => t.depth === 0 && t.kind === "word" && t.value === "WHERE");
  if (where < 0) return false;
  return tokens.some(
    (t, i) => i > where && lc(t.text) === column && tokens[i + 1]?.value === "IS" && tokens[i + 2]?.value === "NULL",
  );
}

/** An earlier statement of the file kept the old values: copied them into another column or table. */
function savedBefore(file: MigrationFile, table: string, column: string, line: number): boolean {
  return file.statements.some((s, i) => {
    const o = file.outcomes[i];
    if (s.line >= line || !o || o.error) return false;
    const tokens = tokenize(s.sql);
    if (o.verb === "update" && lc(o.target ?? "") === table)
      return (setAssignments(tokens) ?? []).some((a) => !a.columns.includes(column) && reads(a.value, column));
    return o.verb === "insert" && o.insertSelect && reads(tokens, column) && reads(tokens, table);
  });
}

function bounded(file: MigrationFile, index: number, table: string): boolean {
  const stmt = file.statements[index];
  const shape = file.tablesAfter?.get(table);
  return (
    !stmt ||
    !existedBefore(file, table) ||
    isSingleton(shape) ||
    emptyAt(file, table, stmt.line) ||
    matchesNoRow(file, index) ||
    keyedRows(stmt.sql, shape) !== undefined
  );
}

function hitsOf(file: MigrationFile, index: number, code: CodeMentions | undefined): Hit[] {
  const stmt = file.statements[index];
  const o = file.outcomes[index];
  const table = lc(o?.target ?? "");
  if (!stmt || !o || o.error || o.verb !== "update" || !table || bounded(file, index, table)) return [];
  const tokens = tokenize(stmt.sql);
  const added = new Set(
    flatChanges(file).flatMap((c) => (c.kind === "add-column" && lc(c.table) === table ? [lc(c.column.name)] : [])),
  );
  return (setAssignments(tokens) ?? []).flatMap((a) => {
    const [column] = a.columns;
    if (a.columns.length !== 1 || !column || added.has(column) || !reshapes(a.value, column)) return [];
    if (onlyNulls(tokens, column) || savedBefore(file, table, column, stmt.line)) return [];
    const t = ident(o.target ?? table);
    const c = ident(column);
    const running = runningVersion(code, column, "reads of it get the new shape before its code is live", {
      table: o.target ?? table,
    });
    return [
      {
        line: stmt.line,
        column: stmt.column,
        ...(running.unused ? { severity: "info" as const } : {}),
        message: `UPDATE ${o.target} rebuilds ${column} from its own value into another shape on every row the WHERE matches: the earlier values are gone once the migration commits (only a Time Travel restore brings them back), and ${running.clause}`,
        fix: `Expand/contract instead: \`ALTER TABLE ${t} ADD COLUMN ${column}_v2 …;\`, fill ${column}_v2 with this expression in batches (\`UPDATE ${t} SET ${column}_v2 = … WHERE rowid IN (SELECT rowid FROM ${t} WHERE ${column}_v2 IS NULL LIMIT 1000);\`), deploy code that reads ${column}_v2, and drop ${c} in a later release.`,
        data: { table: o.target, column },
      },
    ];
  });
}

/** An UPDATE that rebuilds a column's existing values into another shape, in place. */
export default defineRule({
  meta: {
    id: "d1/rewrite-in-place",
    severity: "warning",
    summary: "An UPDATE rebuilds a column's existing values into another shape in place, so the old values are lost",
  },
  checkMigration: ({ file, code }) => file.outcomes.flatMap((_, i) => hitsOf(file, i, code)),
});
