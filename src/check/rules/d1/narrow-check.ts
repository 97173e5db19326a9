import { type Narrowing, narrowing, type SqlValue } from "../../d1/check-constraints.js";
import type { CodeMentions } from "../../d1/code-mentions.js";
import { existedBefore, ident, type MigrationFile, type RuleHit } from "../../d1/rule.js";
import type { Table } from "../../sql/schema.js";
import { tokenize } from "../../sql/tokens.js";
import { defineRule } from "../rule.js";

/** One existing table this file replaces: rebuilt with its rows copied, or dropped and created again. */
interface Replacement {
  before: Table;
  after: Table;
  /** Where the change shows: the rebuild's copy (what fails on old rows), or the CREATE of a re-created table. */
  line: number;
  /** Statements before this line can move the old rows out of the removed values. */
  until: number;
  copied: boolean;
}

function replacements(file: MigrationFile): Replacement[] {
  const out: Replacement[] = [];
  for (const c of file.changes) {
    if (c.kind === "modify-table" && existedBefore(file, c.table)) {
      const copy = [...file.copyLines].find((l) => l >= c.line && l <= c.dropLine);
      out.push({ before: c.before, after: c.after, line: copy ?? c.line, until: c.dropLine, copied: true });
    }
    if (c.kind !== "create-table" || !file.recreated?.has(c.table.toLowerCase())) continue;
    const dropped = file.changes.find(
      (d) => d.kind === "drop-table" && d.line <= c.line && d.table.toLowerCase() === c.table.toLowerCase(),
    );
    if (dropped?.kind === "drop-table")
      out.push({ before: dropped.before, after: c.after, line: c.line, until: c.line, copied: false });
  }
  return out;
}

/** A write before `until` that names every removed value: rows holding them are moved (or copied) on purpose. */
function remapped(file: MigrationFile, values: readonly string[], until: number): boolean {
  if (values.length === 0) return false;
  return file.statements.some((stmt, i) => {
    const o = file.outcomes[i];
    if (!o || o.error || stmt.line > until || !["update", "delete", "insert", "replace"].includes(o.verb)) return false;
    const strings = new Set(tokenize(stmt.sql).flatMap((t) => (t.kind === "string" ? [t.text] : [])));
    return values.every((v) => strings.has(v));
  });
}

const quoted = (v: SqlValue) => (typeof v === "string" ? `'${v.replace(/'/g, "''")}'` : String(v));
const listOf = (values: readonly string[]) => values.map(quoted).join(", ");

function example(n: Narrowing): string {
  const row = n.rejected[0] ?? {};
  return Object.entries(row)
    .filter(([, v]) => v !== null)
    .map(([c, v]) => `${c} = ${quoted(v)}`)
    .join(", ");
}

function fixFor(r: Replacement, n: Narrowing, values: readonly string[]): string {
  const t = ident(r.after.name);
  const checks = n.added.map((c) => `CHECK (${c.expr})`).join(" and ");
  const column = n.removed[0]?.column;
  if (column && values.length > 0) {
    const c = ident(column);
    return `Narrow in two releases: 1) keep ${listOf(values)} allowed (rebuild with the old and the new values in the list), deploy code that stops writing them, and move the existing rows in a data migration (\`UPDATE ${t} SET ${c} = <new value> WHERE ${c} IN (${listOf(values)});\`); 2) once \`SELECT count(*) FROM ${t} WHERE ${c} IN (${listOf(values)})\` is 0 and the new version serves 100%, rebuild ${t} with ${checks}.`;
  }
  const expr = n.added[0]?.expr ?? "…";
  return `Add the constraint in two releases: 1) deploy code that only writes rows passing ${checks}, and fix the rows that break it in a data migration (\`SELECT count(*) FROM ${t} WHERE NOT (${expr});\` must be 0); 2) then rebuild ${t} with the CHECK.`;
}

/** What the running version's writes meet, as far as the code of the bound Workers tells. */
function writesClause(values: readonly string[], written: readonly string[], code: CodeMentions | undefined): string {
  if (written.length > 0)
    return `the running version still writes ${listOf(written)} (named in ${code?.workers.join(", ") ?? "its code"}), and those INSERTs and UPDATEs fail with "CHECK constraint failed"`;
  if (values.length === 0) return "the running version's writes that break it fail";
  if (code) return `no code of the Workers bound to it (${code.workers.join(", ")}) names them`;
  return "the running version's writes of them fail";
}

function messageFor(r: Replacement, n: Narrowing, values: readonly string[], writes: string, moved: boolean): string {
  const name = r.after.name;
  const checks = n.added.map((c) => `CHECK (${c.expr})`).join(" and ");
  if (n.unknown)
    return `${r.copied ? "rebuilds" : "re-creates"} ${name} with ${checks}, which blastwall could not try on SQLite; rows or writes that break it fail`;
  const what =
    values.length > 0
      ? `${checks}, which no longer allows ${listOf(values)}`
      : `${checks}, which rejects values the old table accepted (e.g. ${example(n)})`;
  const rows = moved
    ? "the file moves rows off them in or before the copy"
    : r.copied
      ? `rows already holding ${values.length > 0 ? "them" : "such values"} make this copy fail when it runs on production`
      : "every row is dropped anyway";
  return `${r.copied ? "rebuilds" : "re-creates"} ${name} with ${what}: ${rows}; ${writes}`;
}

function hitFor(file: MigrationFile, r: Replacement, n: Narrowing, code: CodeMentions | undefined): RuleHit {
  const values = n.removed.map((v) => v.value);
  // A value counts as written where a file names it next to the table (a bare "pending" may be any table's).
  const written = values.filter((v) => code?.mentions(v, r.after.name));
  const moved = r.copied && remapped(file, values, r.until);
  // A CHECK where the old table had none names no value anyone wrote: only --data shows whether a row breaks it.
  const guessed = values.length === 0 && !n.unknown && !file.data;
  const quiet = (written.length === 0 && (!r.copied || moved)) || guessed;
  const unproven = guessed
    ? "; no migration or code is known to write a value it rejects (run with --data to try the copy on production's rows)"
    : "";
  return {
    line: r.line,
    message: `${messageFor(r, n, values, writesClause(values, written, code), moved)}${unproven}`,
    fix: fixFor(r, n, values),
    data: { table: r.after.name, checks: n.added.map((c) => c.expr), removed: values, writtenByCode: written },
    ...(quiet ? { severity: "info" as const } : written.length === 0 || moved ? { severity: "warning" as const } : {}),
  };
}

/**
 * A rebuild (or DROP + CREATE) of an existing table whose CHECK constraints reject values the old table accepted:
 * old rows make the copy fail, and the running version's writes of those values fail.
 */
export default defineRule({
  meta: {
    id: "d1/narrow-check",
    severity: "error",
    summary: "A rebuild narrows a CHECK constraint that existing rows or the running version may break",
  },
  checkMigration: ({ file, code }) =>
    replacements(file).flatMap((r) => {
      const n = narrowing(r.before, r.after);
      return n ? [hitFor(file, r, n, code)] : [];
    }),
});
