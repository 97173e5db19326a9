import Database from "better-sqlite3";
import { ignoresNoRow } from "../../d1/copied-keys.js";
import { ident, type MigrationFile, type RuleHit } from "../../d1/rule.js";
import { type Token, tokenize } from "../../sql/tokens.js";
import { defineRule } from "../rule.js";

const CONSTANT_WORDS = new Set(["AND", "OR", "NOT", "IS", "NULL", "TRUE", "FALSE"]);
const WHERE_ENDS = new Set(["ON", "GROUP", "ORDER", "LIMIT", "HAVING", "WINDOW", "RETURNING"]);

/** A WHERE that names no column and holds on SQLite (`WHERE 1=1`, written so that ON CONFLICT parses): no filter. */
function alwaysTrue(where: readonly Token[]): boolean {
  if (where.some((t) => t.kind === "ident" || (t.kind === "word" && !CONSTANT_WORDS.has(t.value)))) return false;
  const db = new Database(":memory:");
  try {
    const expr = where.map((t) => (t.kind === "string" ? `'${t.text.replace(/'/g, "''")}'` : t.text)).join(" ");
    const row = db.prepare(`SELECT CASE WHEN (${expr}) THEN 1 ELSE 0 END AS ok`).get() as { ok: number } | undefined;
    return row?.ok === 1;
  } catch {
    return false;
  } finally {
    db.close();
  }
}

/** What in a copy's text keeps fewer rows than its source: a filter, a grouping, a limit, or skipped conflicts. */
function filterOf(sql: string, ignoreSkips: () => boolean): string | undefined {
  const tokens = tokenize(sql);
  const select = tokens.findIndex((t) => t.depth === 0 && t.kind === "word" && t.value === "SELECT");
  if (select < 0) return undefined;
  const head = tokens.slice(0, select).map((t) => t.value);
  if (head.includes("IGNORE") && ignoreSkips()) return "INSERT OR IGNORE";
  if (tokens[select + 1]?.value === "DISTINCT") return "SELECT DISTINCT";
  const words = tokens.slice(select + 1).filter((t) => t.depth === 0 && t.kind === "word");
  const from = words.findIndex((t) => t.value === "FROM");
  const after = words.slice(from + 1).map((t) => t.value);
  const where = tokens.findIndex((t, i) => i > select && t.depth === 0 && t.kind === "word" && t.value === "WHERE");
  if (where >= 0) {
    const end = tokens.findIndex(
      (t, i) => i > where && t.depth === 0 && (t.value === ";" || (t.kind === "word" && WHERE_ENDS.has(t.value))),
    );
    if (!alwaysTrue(tokens.slice(where + 1, end < 0 ? undefined : end))) return "WHERE";
  }
  if (after.includes("GROUP")) return "GROUP BY";
  if (after.includes("LIMIT")) return "LIMIT";
  return undefined;
}

/**
 * Without `--data`: a rebuild whose copy filters (WHERE, GROUP BY, DISTINCT, LIMIT, OR IGNORE) keeps only some of the
 * table's rows; the others go with the old table. A copy from a table this file emptied or created loses nothing, nor
 * does OR IGNORE when the new table's keys, NOT NULLs and CHECKs all held on the old one (nothing can conflict).
 */
function filteringCopies(file: MigrationFile): RuleHit[] {
  return file.changes.flatMap((c): RuleHit[] => {
    if (c.kind !== "modify-table" || file.createdHere.has(c.table.toLowerCase())) return [];
    const copy = file.statements.find((s) => file.copyLines.has(s.line) && s.line >= c.line && s.line <= c.dropLine);
    const filter = copy ? filterOf(copy.sql, () => !ignoresNoRow(file, c)) : undefined;
    if (!copy || !filter) return [];
    const t = ident(c.table);
    return [
      {
        line: copy.line,
        severity: "warning",
        message: `the rebuild of ${c.table} copies only the rows its ${filter} keeps: the other rows are dropped with the old table (run with --data to count them)`,
        fix: `Copy every row: \`INSERT INTO <new table> SELECT … FROM ${t};\` without a filter, and merge or fix the rows that would not fit in an earlier data migration, so the loss is a decision the migration states; compare \`SELECT count(*) FROM ${t}\` before and after.`,
        data: { table: c.table, filter },
      },
    ];
  });
}

/**
 * On `--data`, rows disappear as a side effect: a statement deletes or unlinks rows in other tables through
 * foreign key actions, or a rebuild's copy keeps fewer rows than the table had.
 */
export default defineRule({
  meta: {
    id: "d1/rows-lost",
    severity: "error",
    summary: "Replaying on data, rows are lost through a cascade or a rebuild that copies fewer rows",
  },
  checkMigration: ({ file, dataLabel }) => {
    const data = file.data;
    if (!data) return filteringCopies(file);
    const label = dataLabel ?? "--data";
    const hits: RuleHit[] = data.statements.flatMap((o, i) => {
      const stmt = file.statements[i];
      // DROP TABLE cascades are reported by d1/rebuild-cascade with their counts.
      if (!stmt || o.verb === "drop-table" || o.rowLoss.length === 0) return [];
      const parts = o.rowLoss.map(
        (l) =>
          `${l.rows} row${l.rows === 1 ? "" : "s"} of ${l.table} ${l.action === "CASCADE" ? "deleted" : "unlinked"} by ${l.fk}`,
      );
      const total = o.rowLoss.reduce((n, l) => n + l.rows, 0);
      return [
        {
          line: stmt.line,
          column: stmt.column,
          message: `on ${label} this ${o.verb.toUpperCase()} of ${o.target ?? "a table"} also loses ${parts.join("; ")}`,
          fix: `If those rows must go, delete them explicitly first (\`DELETE FROM ${ident(o.rowLoss[0]?.table ?? "child")} WHERE …\`) so the migration says so; otherwise narrow the WHERE, or change the statement so it does not delete parent rows (UPDATE, or INSERT … ON CONFLICT DO UPDATE instead of REPLACE).`,
          data: { rowsLost: total, losses: o.rowLoss },
        },
      ];
    });
    for (const c of file.changes) {
      if (c.kind !== "modify-table") continue;
      const at = file.statements.findIndex(
        (s, i) => s.line === c.dropLine && data.statements[i]?.verb === "drop-table",
      );
      const before = data.statements[at]?.droppedRows;
      const after = data.rowsAfter[c.table.toLowerCase()];
      if (before === undefined || after === undefined || after >= before) continue;
      const t = ident(c.table);
      hits.push({
        line: c.line,
        message: `the rebuild of ${c.table} keeps ${after} of its ${before} rows on ${label}: ${before - after} row${before - after === 1 ? " is" : "s are"} lost by the copy (a WHERE, a JOIN, or INSERT OR IGNORE skipping rows)`,
        fix: `Copy every row: \`INSERT INTO <new table> SELECT … FROM ${t};\` without a filter, and fix rows that would not fit the new table in an earlier data migration; compare \`SELECT count(*) FROM ${t}\` before and after.`,
        data: { table: c.table, rowsBefore: before, rowsAfter: after, rowsLost: before - after },
      });
    }
    return hits;
  },
});
