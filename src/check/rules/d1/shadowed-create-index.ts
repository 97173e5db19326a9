import { ident, type RuleHit } from "../../d1/rule.js";
import type { Index } from "../../sql/schema.js";
import { tokenize } from "../../sql/tokens.js";
import { defineRule } from "../rule.js";

const lc = (s: string) => s.toLowerCase();

interface Wanted {
  unique: boolean;
  name: string;
  table: string;
  columns: string[];
}

/** `CREATE [UNIQUE] INDEX IF NOT EXISTS name ON t (a, b)`, read from its text; undefined for anything else. */
function wantedIndex(sql: string): Wanted | undefined {
  const t = tokenize(sql, 64);
  const word = (i: number) => (t[i]?.kind === "word" ? t[i]?.value : undefined);
  const unique = word(1) === "UNIQUE";
  const at = unique ? 2 : 1;
  if (word(0) !== "CREATE" || word(at) !== "INDEX" || word(at + 1) !== "IF" || word(at + 2) !== "NOT") return undefined;
  const nameAt = t[at + 5]?.value === "." ? at + 6 : at + 4;
  const name = t[nameAt]?.text;
  const on = t.findIndex((x, i) => i > nameAt && x.depth === 0 && x.kind === "word" && x.value === "ON");
  const table = t[on + 1]?.text;
  if (!name || on < 0 || !table) return undefined;
  const columns = t
    .slice(on + 3)
    .filter(
      (x) =>
        x.depth === 1 && (x.kind === "ident" || x.kind === "word") && !["ASC", "DESC", "COLLATE"].includes(x.value),
    )
    .map((x) => x.text);
  return { unique, name, table, columns };
}

const sameColumns = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((c, i) => lc(c) === lc(b[i] ?? ""));

/**
 * `CREATE UNIQUE INDEX IF NOT EXISTS idx ON t (…)` when an index named `idx` already exists with another definition
 * (a plain index, other columns): SQLite skips the statement, so the guard or the index the migration asks for never
 * exists, and nothing fails.
 */
export default defineRule({
  meta: {
    id: "d1/shadowed-create-index",
    severity: "warning",
    summary:
      "CREATE INDEX IF NOT EXISTS is skipped because an index of that name already exists with another definition",
  },
  checkMigration: ({ file }) =>
    file.statements.flatMap((stmt, i): RuleHit[] => {
      const o = file.outcomes[i];
      if (!o || o.error || o.verb !== "create-index") return [];
      const want = wantedIndex(stmt.sql);
      // The statement made the index: nothing was skipped.
      if (!want || o.changes.some((c) => c.kind === "add-index" && lc(c.index.name) === lc(want.name))) return [];
      const existing: Index | undefined = file.tablesAfter
        ?.get(lc(want.table))
        ?.indexes.find((ix) => lc(ix.name) === lc(want.name));
      if (!existing || (existing.unique === want.unique && sameColumns(existing.columns, want.columns))) return [];
      const had = `${existing.unique ? "a unique" : "a plain"} index on (${existing.columns.join(", ")})`;
      const asked = `${want.unique ? "a unique" : "a plain"} index on (${want.columns.join(", ")})`;
      const newName = ident(`${want.name}_v2`);
      return [
        {
          line: stmt.line,
          message: `asks for ${asked} named ${want.name}, but ${want.name} already exists as ${had}: IF NOT EXISTS skips the statement, so ${want.unique && !existing.unique ? "the uniqueness it should enforce never exists" : "the index it describes never exists"}, and nothing fails`,
          fix: `Give the new index its own name (\`CREATE ${want.unique ? "UNIQUE " : ""}INDEX ${newName} ON ${ident(want.table)} (${want.columns.map(ident).join(", ")});\`), or replace the old one: \`DROP INDEX ${ident(want.name)};\` first${want.unique ? ", after checking that no duplicates exist" : ""}.`,
          data: { index: want.name, table: want.table, unique: want.unique, existingUnique: existing.unique },
        },
      ];
    }),
});
