import Database from "better-sqlite3";
import { ident, type MigrationFile, type RuleHit } from "../../d1/rule.js";
import { affinity, type Column, readTable, type Table } from "../../sql/schema.js";
import type { SqlStatement } from "../../sql/split.js";
import { tokenize } from "../../sql/tokens.js";
import { defineRule } from "../rule.js";

/** The table the statement declares, as SQLite itself reads it on an empty database. */
function declared(sql: string, name: string): Table | undefined {
  const db = new Database(":memory:");
  try {
    db.exec(sql);
    return readTable(db, name);
  } catch {
    return undefined;
  } finally {
    db.close();
  }
}

const isIfNotExists = (stmt: SqlStatement) =>
  tokenize(stmt.sql, 8)
    .map((t) => t.value)
    .join(" ")
    .match(/^CREATE (TEMP |TEMPORARY )?TABLE IF NOT EXISTS /) !== null;

const lc = (s: string) => s.toLowerCase();
const byName = (cols: readonly Column[]) => new Map(cols.map((c) => [lc(c.name), c]));

/** Columns an INSERT written for `table` must give: NOT NULL without a default, not a rowid alias. */
const required = (c: Column) => c.notNull && c.default === null && c.pk === 0 && c.hidden === 0;

interface Mismatch {
  missing: Column[];
  extra: Column[];
  retyped: { name: string; was: string; now: string }[];
}

function mismatch(existing: Table, wanted: Table): Mismatch | undefined {
  const have = byName(existing.columns);
  const want = byName(wanted.columns);
  const missing = wanted.columns.filter((c) => !have.has(lc(c.name)));
  const extra = existing.columns.filter((c) => !want.has(lc(c.name)));
  const retyped = wanted.columns.flatMap((c) => {
    const old = have.get(lc(c.name));
    return old && affinity(old.type) !== affinity(c.type) ? [{ name: c.name, was: old.type, now: c.type }] : [];
  });
  // Code written for the new definition breaks on a column it names that is absent, or on an old NOT NULL column
  // without a default it does not know to fill; another affinity alone only changes how values are stored.
  return missing.length > 0 || extra.some(required) ? { missing, extra, retyped } : undefined;
}

function hitFor(file: MigrationFile, line: number, existing: Table, m: Mismatch): RuleHit {
  const t = ident(existing.name);
  const from = file.createdBy?.get(lc(existing.name));
  const made = from ? `${from} created ${existing.name}` : `${existing.name} already exists`;
  const names = (cols: readonly Column[]) => cols.map((c) => c.name).join(", ");
  const parts = [
    m.missing.length > 0 ? `declares ${names(m.missing)}, which it lacks` : "",
    m.extra.length > 0
      ? `leaves out ${names(m.extra)}, which it has${m.extra.some(required) ? ` (${names(m.extra.filter(required))} NOT NULL without a default)` : ""}`
      : "",
    m.retyped.length > 0
      ? `types ${m.retyped.map((r) => `${r.name} ${r.now || "(none)"} (was ${r.was || "none"})`).join(", ")}`
      : "",
  ].filter((p) => p !== "");
  const adds = m.missing.map((c) => `\`ALTER TABLE ${t} ADD COLUMN ${ident(c.name)}${c.type ? ` ${c.type}` : ""};\``);
  return {
    line,
    message: `CREATE TABLE IF NOT EXISTS ${existing.name} does nothing: ${made} with other columns, and this statement ${parts.join("; ")}. Code written for this definition fails with "no such column"${m.extra.some(required) ? ' or "NOT NULL constraint failed"' : ""} on production`,
    fix: `Change the existing table instead: ${adds.length > 0 ? `${adds.join(" ")}${m.extra.some(required) ? ", and " : ""}` : ""}${m.extra.some(required) || adds.length === 0 ? `rebuild ${t} (create ${ident(`${existing.name}_new`)}, copy the rows, drop, rename)` : ""}; and drop IF NOT EXISTS so a mismatch fails loudly instead of being skipped.`,
    data: {
      table: existing.name,
      missing: m.missing.map((c) => c.name),
      extra: m.extra.map((c) => c.name),
      ...(from ? { createdBy: from } : {}),
    },
  };
}

/**
 * `CREATE TABLE IF NOT EXISTS t (…)` where the history already made t with other columns: the statement is skipped,
 * and the columns it declares never reach production.
 */
export default defineRule({
  meta: {
    id: "d1/shadowed-create-table",
    severity: "warning",
    summary: "CREATE TABLE IF NOT EXISTS is skipped because the table already exists with other columns",
  },
  checkMigration: ({ file }) =>
    file.statements.flatMap((stmt, i): RuleHit[] => {
      const o = file.outcomes[i];
      // A skipped CREATE: it ran without error and changed nothing.
      if (o?.verb !== "create-table" || o.error || o.skipped || o.changes.length > 0 || !o.target) return [];
      if (file.createdHere.has(lc(o.target)) || !isIfNotExists(stmt)) return [];
      const existing = file.tablesAfter?.get(lc(o.target));
      const wanted = existing && declared(stmt.sql, o.target);
      const m = existing && wanted ? mismatch(existing, wanted) : undefined;
      return existing && m ? [hitFor(file, stmt.line, existing, m)] : [];
    }),
});
