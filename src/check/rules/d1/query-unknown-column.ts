import { tablesNamed } from "../../d1/code-queries.js";
import { type D1FinalContext, ident } from "../../d1/rule.js";
import type { Table } from "../../sql/schema.js";
import type { PlacedHit } from "../report.js";
import { defineRule } from "../rule.js";

const lc = (s: string) => s.toLowerCase();

/** SQLite's two ways of saying a statement names a column its table does not have. */
const NO_SUCH_COLUMN = /^no such column: ([\w$.]+)$/;
const NO_COLUMN_NAMED = /^table ["`[]?(\w+)["`\]]? has no column named (\w+)$/;

/** The table and column SQLite's error is about; the table only when the statement makes it certain. */
function missingColumn(
  error: string,
  named: readonly string[],
  tables: ReadonlyMap<string, Table>,
): { table?: string; column: string } | undefined {
  const into = NO_COLUMN_NAMED.exec(error);
  if (into?.[1] && into[2]) return { table: lc(into[1]), column: into[2] };
  const name = NO_SUCH_COLUMN.exec(error)?.[1];
  if (!name) return undefined;
  const dot = name.lastIndexOf(".");
  const column = name.slice(dot + 1);
  const qualifier = dot > 0 ? lc(name.slice(0, dot)) : undefined;
  const [only] = named;
  const table = qualifier && tables.has(qualifier) ? qualifier : named.length === 1 ? only : undefined;
  return table ? { table, column } : { column };
}

const snippet = (sql: string): string => {
  const flat = sql.replace(/\s+/g, " ").trim();
  return flat.length > 90 ? `${flat.slice(0, 87)}…` : flat;
};

/**
 * The Workers' code prepares a statement that names a column no migration gives its table: on the schema the folder's
 * whole history leaves, SQLite refuses to prepare it ("no such column"), so every call fails with D1_ERROR on any
 * database built from the migrations. Only statements written out whole are judged (a literal passed to `.prepare(`,
 * the `sql` tag), only when every table they name is one the migrations create and the code neither creates itself
 * nor adds the column at runtime.
 */
export default defineRule({
  meta: {
    id: "d1/query-unknown-column",
    severity: "error",
    summary: "The Worker's code queries a column that no migration creates",
  },
  checkFinalSchema: ({ dir, last, tables, code, compile, removed }) => {
    const { queries, createdTables } = code.queries();
    const addedAtRuntime = new Set(code.columnAdds().map((a) => lc(a.column)));
    // One finding per missing column, at its first statement, naming the others: one fix settles them all.
    const byColumn = new Map<string, Site[]>();
    const seen = new Set<string>();
    for (const q of queries) {
      const named = tablesNamed(q.sql);
      const where = `${q.file}:${q.line}`;
      if (seen.has(where) || named.length === 0) continue;
      if (named.some((t) => !tables.has(t) || createdTables.has(t))) continue;
      const error = compile(q.sql);
      const missing = error === undefined ? undefined : missingColumn(error, named, tables);
      if (!error || !missing || addedAtRuntime.has(lc(missing.column))) continue;
      // A column a migration dropped or renamed: that contract change is d1/drop-column's (and the release rule's).
      const on = missing.table ? [missing.table] : named;
      if (on.some((t) => removed.has(lc(`${t}.${missing.column}`)))) continue;
      seen.add(where);
      const owner = (missing.table && tables.get(missing.table)?.name) ?? named.join(" or ");
      const key = `${lc(owner)}.${lc(missing.column)}`;
      byColumn.set(key, [...(byColumn.get(key) ?? []), { ...q, ...missing, owner, error }]);
    }
    return [...byColumn.values()].flatMap((sites) => {
      const [first] = sites;
      return first ? [hitFor(first, sites.slice(1), { dir, last, tables, code })] : [];
    });
  },
});

interface Site {
  file: string;
  line: number;
  sql: string;
  table?: string;
  column: string;
  /** The table's name as declared, or the statement's tables when the error does not say which. */
  owner: string;
  error: string;
}

function hitFor(
  first: Site,
  more: readonly Site[],
  { dir, last, tables, code }: Pick<D1FinalContext, "dir" | "last" | "tables" | "code">,
): PlacedHit {
  const table = first.table ? tables.get(first.table) : undefined;
  const columns = table ? table.columns.map((c) => c.name) : [];
  const runs =
    code.at === undefined ? "the code about to be deployed runs it" : `the running version (at ${code.at}) runs it`;
  const folder = dir.rel === "." ? "the migrations are" : `${dir.rel}/ is`;
  const others =
    more.length === 0
      ? ""
      : ` (so ${more.length === 1 ? "does 1 more statement" : `do ${more.length} more statements`}: ${more
          .slice(0, 5)
          .map((s) => `${s.file}:${s.line}`)
          .join(", ")}${more.length > 5 ? ", …" : ""})`;
  return {
    file: first.file,
    line: first.line,
    message: `\`${snippet(first.sql)}\` names ${first.column}, which ${first.owner} does not have once ${folder} applied (through ${last}): SQLite refuses to prepare it ("${first.error}")${others}, and ${runs}, so every call fails with D1_ERROR on a database built from these migrations`,
    fix: `If ${first.owner} should have it, add it in a new migration: \`ALTER TABLE ${ident(table?.name ?? first.owner)} ADD COLUMN ${ident(first.column)} TEXT\` (with its real type); where production already has it (added by hand), record that migration as applied there instead of running it. If the query is wrong, name an existing column${columns.length > 0 ? `: ${table?.name} has ${columns.slice(0, 12).join(", ")}${columns.length > 12 ? ", …" : ""}` : ""}.`,
    data: {
      table: table?.name ?? null,
      column: first.column,
      sql: first.sql,
      error: first.error,
      sites: [first, ...more].map((s) => `${s.file}:${s.line}`),
    },
  };
}
