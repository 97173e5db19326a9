import { type D1FinalContext, ident } from "../../d1/rule.js";
import { splitStatements } from "../../sql/split.js";
import { describeStatement, nameOf } from "../../sql/tokens.js";
import type { PlacedHit } from "../report.js";
import { defineRule } from "../rule.js";

const lc = (s: string) => s.toLowerCase();

/** What one nested file would create that the applied history lacks, at the first statement that does. */
interface Missing {
  line: number;
  tables: string[];
  columns: string[];
}

/**
 * The tables (CREATE TABLE) and columns (ALTER TABLE … ADD COLUMN) a file makes that the history never does, and
 * that the deployed code uses: a file no entry imports (an old entry, a draft) runs no query that could fail, and
 * a table's name as a word in the page's text is no use of the table (its SQL or a string literal naming it is).
 */
export function missingFrom(sql: string, ctx: D1FinalContext): Missing | undefined {
  const out: Missing = { line: 0, tables: [], columns: [] };
  for (const stmt of splitStatements(sql).statements) {
    const info = describeStatement(stmt.sql);
    const table = info.target;
    if (!table) continue;
    let made: string | undefined;
    if (info.verb === "create-table" && !ctx.tables.has(lc(table)) && ctx.code.mentions(table, undefined, "table")) {
      out.tables.push(table);
      made = table;
    } else if (info.verb === "alter-table") {
      const t = info.tokens;
      const add = t.findIndex((x) => x.value === "ADD");
      const name = nameOf(t[add + 1]?.value === "COLUMN" ? t[add + 2] : t[add + 1]);
      const have = ctx.tables.get(lc(table));
      const known = have?.columns.some((c) => lc(c.name) === lc(name ?? ""));
      if (add > 0 && name && have && !known && ctx.code.mentions(name, table, "table")) {
        out.columns.push(`${table}.${name}`);
        made = name;
      }
    }
    if (made && out.line === 0) out.line = stmt.line;
  }
  return out.line > 0 ? out : undefined;
}

/**
 * `migrations/lucia/0001_add_lucia_tables.sql`: wrangler applies only the `.sql` files directly in the migrations
 * folder (unless `migrations_pattern` says otherwise), so a file in a subfolder runs on no database, and the tables
 * and columns it creates exist only where someone ran it by hand. Reported when the Workers' code uses what it
 * creates and no migration wrangler applies creates it.
 */
export default defineRule({
  meta: {
    id: "d1/nested-migration",
    severity: "error",
    summary:
      "A migration in a subfolder of the migrations folder, which wrangler never applies, creates what the code uses",
  },
  checkFinalSchema: (ctx) =>
    ctx.nested.flatMap((f): PlacedHit[] => {
      const m = missingFrom(f.sql, ctx);
      if (!m) return [];
      const what = [...m.tables, ...m.columns];
      const top = ctx.dir.rel === "." ? "the project folder" : `${ctx.dir.rel}/`;
      const base = f.name.split("/").pop() ?? f.name;
      return [
        {
          file: ctx.dir.rel === "." ? f.name : `${ctx.dir.rel}/${f.name}`,
          line: m.line,
          message: `this file sits in a subfolder of ${top}, and \`wrangler d1 migrations apply\` applies only the .sql files directly in it: ${what.join(", ")} ${what.length === 1 ? "is" : "are"} created by no migration it runs, yet the Workers' code uses ${what.length === 1 ? "it" : "them"}, so those queries fail on every database built by \`migrations apply\`, and a database where someone ran this file by hand differs from the rest`,
          fix: `Move it next to the others under the next number, after ${ctx.last} (e.g. \`${ctx.dir.rel === "." ? "" : `${ctx.dir.rel}/`}${nextName(ctx.last, base)}\`), so every database applies it once; write its statements so they also pass where it was run by hand (\`CREATE TABLE IF NOT EXISTS ${ident(m.tables[0] ?? "t")}\`), or set \`migrations_pattern\` if the subfolders are your layout.`,
          data: { tables: m.tables, columns: m.columns, nested: f.name },
        },
      ];
    }),
});

/** `0002_add_email.sql`, `0001_add_lucia_tables.sql` → `0003_add_lucia_tables.sql`: the next number, same width. */
function nextName(last: string, name: string): string {
  const n = /^(\d+)/.exec(last)?.[1];
  const rest = name.replace(/^\d+[_-]?/, "");
  if (!n) return name;
  return `${String(Number(n) + 1).padStart(n.length, "0")}_${rest}`;
}
