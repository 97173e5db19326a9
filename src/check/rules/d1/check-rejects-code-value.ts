import Database from "better-sqlite3";
import type { CodeList, CodeMentions } from "../../d1/code-mentions.js";
import { ident, type MigrationFile, type RuleHit } from "../../d1/rule.js";
import type { Finding } from "../../findings.js";
import type { Check, Table } from "../../sql/schema.js";
import { tokenize } from "../../sql/tokens.js";
import { defineRule } from "../rule.js";

const lc = (s: string) => s.toLowerCase();
const quoted = (v: string) => `'${v.replace(/'/g, "''")}'`;

/** A CHECK this file adds, with the one column it reads. */
interface NewCheck {
  table: Table;
  column: string;
  check: Check;
  line: number;
}

/** The one column of `table` a CHECK reads, or undefined when it reads several (or none). */
function columnOf(table: Table, check: Check): string | undefined {
  if (check.column) return check.column;
  const names = new Set(tokenize(check.expr).flatMap((t) => (t.kind === "string" ? [] : [lc(t.text)])));
  const read = table.columns.filter((c) => names.has(lc(c.name)));
  return read.length === 1 ? read[0]?.name : undefined;
}

/** CHECKs on one column that the file adds: with a new column, a new table, or a rebuild that did not have them. */
function newChecks(file: MigrationFile): NewCheck[] {
  const out: NewCheck[] = [];
  for (const c of file.changes) {
    const table = file.tablesAfter?.get(lc(c.table));
    if (!table) continue;
    const fresh =
      c.kind === "add-column"
        ? table.checks.filter((k) => lc(columnOf(table, k) ?? "") === lc(c.column.name))
        : c.kind === "create-table"
          ? table.checks
          : c.kind === "modify-table"
            ? table.checks.filter((k) => !c.before.checks.some((b) => b.expr === k.expr))
            : [];
    for (const check of fresh) {
      const column = columnOf(table, check);
      if (column) out.push({ table, column, check, line: c.line });
    }
  }
  return out;
}

/** The values of `values` the CHECKs reject, tried on SQLite with the column's declared type. */
function rejectedBy(table: Table, column: string, checks: readonly Check[], values: readonly string[]): string[] {
  const type = table.columns.find((c) => lc(c.name) === lc(column))?.type ?? "";
  if (checks.length === 0) return [];
  const db = new Database(":memory:");
  try {
    db.exec(`CREATE TABLE probe (${ident(column)} ${type}, ${checks.map((k) => `CHECK (${k.expr})`).join(", ")})`);
    const insert = db.prepare(`INSERT INTO probe (${ident(column)}) VALUES (?)`);
    return values.filter((v) => {
      try {
        insert.run(v);
        return false;
      } catch {
        return true;
      }
    });
  } catch {
    return [];
  } finally {
    db.close();
  }
}

/** A code list that holds every value the CHECK allows and more that it rejects: the code's own set is wider. */
function wider(n: NewCheck, code: CodeMentions): { list: CodeList; values: string[] } | undefined {
  const allowed = new Set(tokenize(n.check.expr).flatMap((t) => (t.kind === "string" ? [t.text] : [])));
  if (allowed.size === 0) return undefined;
  const lists = code.stringLists(n.table.name, n.column);
  // A list of exactly the CHECK's values is this column's own; a wider one then belongs to another column.
  if (lists.some((l) => l.values.length === allowed.size && l.values.every((v) => allowed.has(v)))) return undefined;
  for (const list of lists) {
    // The code's list must hold every value the CHECK allows: then it is this column's set of values, only wider.
    if (![...allowed].every((v) => list.values.includes(v))) continue;
    const extra = [...new Set(list.values)].filter((v) => !allowed.has(v));
    const values = rejectedBy(n.table, n.column, [n.check], extra);
    if (values.length > 0) return { list, values };
  }
  return undefined;
}

/**
 * The code read is the version about to be deployed, which runs on the schema the whole history leaves: a finding
 * stands only while the table's last CHECKs on that column still reject a value the code lists.
 */
function stillRejected(f: Finding, tables: ReadonlyMap<string, Table>): boolean {
  const { table, column, rejected } = f.data ?? {};
  if (typeof table !== "string" || typeof column !== "string" || !Array.isArray(rejected)) return true;
  const last = tables.get(lc(table));
  if (!last) return false;
  const checks = last.checks.filter((k) => lc(columnOf(last, k) ?? "") === lc(column));
  const values = rejected.filter((v): v is string => typeof v === "string");
  return rejectedBy(last, column, checks, values).length > 0;
}

/**
 * A CHECK on one column whose literals are all in a value list of the Workers' code (same table and column named
 * in that file) that holds more values: the code accepts and writes values the CHECK rejects.
 */
export default defineRule({
  meta: {
    id: "d1/check-rejects-code-value",
    severity: "warning",
    summary: "A new CHECK rejects a value the Workers' code lists for that column",
  },
  keepOnFinalSchema: stillRejected,
  checkMigration: ({ file, code }) => {
    if (!code) return [];
    return newChecks(file).flatMap((n): RuleHit[] => {
      const found = wider(n, code);
      if (!found) return [];
      const { list, values } = found;
      const t = ident(n.table.name);
      const c = ident(n.column);
      const all = [
        ...new Set([...tokenize(n.check.expr).flatMap((k) => (k.kind === "string" ? [k.text] : [])), ...values]),
      ];
      return [
        {
          line: n.line,
          message: `CHECK (${n.check.expr}) on ${n.table.name}.${n.column} rejects ${values.map(quoted).join(", ")}, which ${list.file}:${list.line} lists with the values it allows: the code's INSERTs and UPDATEs of ${values.length > 1 ? "them" : "it"} fail with "CHECK constraint failed"`,
          fix: `Allow every value the code writes, e.g. \`CHECK (${c} IN (${all.map(quoted).join(", ")}))\` on ${t}; or ship code that stops writing ${values.map(quoted).join(", ")} first, and narrow the CHECK in a later release.`,
          data: { table: n.table.name, column: n.column, rejected: values, list: `${list.file}:${list.line}` },
        },
      ];
    });
  },
});
