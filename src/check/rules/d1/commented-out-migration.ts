import { tablesNamed } from "../../d1/code-queries.js";
import type { D1RuleContext, MigrationFile } from "../../d1/rule.js";
import type { Table } from "../../sql/schema.js";
import type { Hit } from "../report.js";
import { defineRule } from "../rule.js";

const lc = (s: string) => s.toLowerCase();
const NAME = String.raw`["\`[]?([\w$]+)["\`\]]?`;
const QUALIFIED = String.raw`(?:["\`[]?\w+["\`\]]?\.)?${NAME}`;
/** A comment line that is a statement: what was commented out, not prose about it. */
const STATEMENT =
  /^\s*(CREATE\s+(?:UNIQUE\s+)?(?:TABLE|INDEX|VIEW|TRIGGER|VIRTUAL\s+TABLE)|ALTER\s+TABLE|INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE\s+[\w"`[]|DELETE\s+FROM|DROP\s+(?:TABLE|INDEX|VIEW|TRIGGER)|REPLACE\s+INTO)\b/i;
const CREATE_TABLE = new RegExp(
  String.raw`^\s*CREATE\s+(?:VIRTUAL\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?${QUALIFIED}`,
  "i",
);
const ADD_COLUMN = new RegExp(String.raw`^\s*ALTER\s+TABLE\s+${QUALIFIED}\s+ADD\s+(?:COLUMN\s+)?${NAME}`, "i");
const CREATE_INDEX = new RegExp(
  String.raw`^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?${QUALIFIED}\s+ON\s+${QUALIFIED}`,
  "i",
);

/** What a commented-out statement would have made: a table, a column or an index. */
export interface CommentedObject {
  kind: "table" | "column" | "index";
  table: string;
  /** The column or index name; absent for a table. */
  name?: string;
  line: number;
}

/** The statements in the file's comments, one per comment line that starts like one, with what they create. */
export function commentedStatements(file: Pick<MigrationFile, "comments">): {
  lines: { line: number; text: string }[];
  objects: CommentedObject[];
} {
  const lines: { line: number; text: string }[] = [];
  const objects: CommentedObject[] = [];
  for (const comment of file.comments)
    comment.text.split("\n").forEach((raw, i) => {
      const text = raw.replace(/^\s*(?:--+|\*+)?\s?/, "");
      const head = STATEMENT.exec(text)?.[1];
      // Prose says "Create table for…"; code is upper case, or ends like a statement, or opens a column list.
      if (!head || (head !== head.toUpperCase() && !/[;(]\s*$|\(/.test(text))) return;
      const line = comment.line + i;
      lines.push({ line, text: text.trim() });
      const table = CREATE_TABLE.exec(text);
      const column = ADD_COLUMN.exec(text);
      const index = CREATE_INDEX.exec(text);
      if (table?.[1]) objects.push({ kind: "table", table: table[1], line });
      else if (column?.[1] && column[2] && lc(column[2]) !== "constraint")
        objects.push({ kind: "column", table: column[1], name: column[2], line });
      else if (index?.[1] && index[2]) objects.push({ kind: "index", table: index[2], name: index[1], line });
    });
  return { lines, objects };
}

/**
 * Whether the file changes nothing: no statement, or only bare SELECTs, PRAGMAs and objects it creates and drops
 * again (the "dummy DDL" written so that `migrations apply` has something to run).
 */
export function runsNothing(file: Pick<MigrationFile, "outcomes">): boolean {
  const created = new Set<string>();
  const dropped = new Set<string>();
  for (const o of file.outcomes)
    if (o.target && o.verb.startsWith("create-")) created.add(lc(o.target));
    else if (o.target && o.verb.startsWith("drop-")) dropped.add(lc(o.target));
  return file.outcomes.every(
    (o) =>
      o.verb === "select" ||
      o.verb === "pragma" ||
      o.verb === "transaction" ||
      ((o.verb.startsWith("create-") || o.verb.startsWith("drop-")) &&
        o.target !== undefined &&
        created.has(lc(o.target)) &&
        dropped.has(lc(o.target))),
  );
}

const label = (o: CommentedObject) =>
  o.kind === "table" ? `table ${o.table}` : o.kind === "column" ? `${o.table}.${o.name}` : `index ${o.name}`;

/** Whether the schema the history leaves lacks what the commented-out statement made. */
function absent(o: CommentedObject, tables: ReadonlyMap<string, Table>): boolean {
  const t = tables.get(lc(o.table));
  if (!t) return true;
  if (o.kind === "column") return !t.columns.some((c) => lc(c.name) === lc(o.name ?? ""));
  if (o.kind === "index") return !t.indexes.some((x) => lc(x.name) === lc(o.name ?? ""));
  return false;
}

const SAMPLE_DIR = /(^|\/)(docs?|examples?|samples?)\//i;

function hitFor(file: MigrationFile, code: D1RuleContext["code"]): Hit[] {
  if (file.unreadable || file.problems.length > 0 || !runsNothing(file)) return [];
  const { lines, objects: all } = commentedStatements(file);
  // What earlier migrations already made is no gap ("already added in 0008").
  const now = file.tableAfter;
  const tables: ReadonlyMap<string, Table> = new Map(
    now
      ? all.flatMap((o) => {
          const t = now(o.table);
          return t ? [[lc(o.table), t] as const] : [];
        })
      : [],
  );
  const objects = all.filter((o) => absent(o, tables));
  const first = objects[0];
  if (!first) return [];
  const used = code
    ? objects.filter(
        (o) =>
          o.kind !== "index" && (o.kind === "table" ? code.mentions(o.table) : code.mentions(o.name ?? "", o.table)),
      )
    : [];
  const what = [...new Set(objects.map(label))];
  const shown = what.slice(0, 4).join(", ") + (what.length > 4 ? ` and ${what.length - 4} more` : "");
  const runs = file.outcomes.length === 0 ? "runs no statement" : "runs only statements that change nothing";
  const sites = (code?.queries().queries ?? []).filter((q) =>
    used.some((o) => o.kind === "table" && tablesNamed(q.sql).includes(lc(o.table))),
  );
  // The app's own query, not a sample under docs/ or examples/, is where it breaks first.
  const site = sites.find((q) => !SAMPLE_DIR.test(q.file)) ?? sites[0];
  const usedBy = used.length
    ? ` The Workers' code${site ? ` (${site.file}:${site.line})` : ""} uses ${[...new Set(used.map(label))].join(", ")}, so it fails there with "no such table" or "no such column".`
    : "";
  return [
    {
      line: first.line,
      severity: used.length ? "error" : "warning",
      message: `${file.name} ${runs}: its statements are commented out (${lines.length} of them), and no earlier migration makes ${shown}. wrangler records it as applied all the same, so ${shown} ${what.length === 1 ? "exists" : "exist"} only on databases that ran the file before it was commented out, or where someone made ${what.length === 1 ? "it" : "them"} by hand; a new database — another environment, \`--local\`, a restore into a fresh database — never gets ${what.length === 1 ? "it" : "them"}, and no later migration makes ${what.length === 1 ? "it" : "them"} either.${usedBy}`,
      fix: `Leave ${file.name} as it is (databases have recorded it as applied) and copy the statements in its comments (line ${first.line}${lines.length > 1 ? `–${lines[lines.length - 1]?.line}` : ""}) into a new migration that makes them where they are missing and is harmless where they exist: each table and index as \`CREATE … IF NOT EXISTS\`${objects.some((o) => o.kind === "column") ? "; an ADD COLUMN cannot say IF NOT EXISTS, so give it its own migration and record that one as applied on the databases that have the column" : ""}. If they are gone on purpose, drop them in a new migration (\`DROP TABLE IF EXISTS\`), so every database agrees.`,
      data: {
        objects: objects.map((o) => ({ kind: o.kind, table: o.table, name: o.name ?? null })),
        used: used.length,
      },
    },
  ];
}

/**
 * A migration whose statements are commented out and which runs nothing (or only dummy DDL), while the comments
 * create tables, columns or indexes that the schema the whole history leaves lacks: databases differ by when they
 * applied it, and fresh ones miss what the code may query.
 */
export default defineRule({
  meta: {
    id: "d1/commented-out-migration",
    severity: "warning",
    summary: "A migration's statements are commented out, so new databases never get what it made",
  },
  checkMigration: ({ file, code }) => hitFor(file, code),
  keepOnFinalSchema: (f, tables) => {
    const objects = f.data?.objects;
    if (!Array.isArray(objects)) return true;
    return objects.some((o: unknown) => {
      if (typeof o !== "object" || o === null) return true;
      const { kind, table, name } = o as { kind?: unknown; table?: unknown; name?: unknown };
      if ((kind !== "table" && kind !== "column" && kind !== "index") || typeof table !== "string") return true;
      return absent({ kind, table, line: 0, ...(typeof name === "string" ? { name } : {}) }, tables);
    });
  },
});
