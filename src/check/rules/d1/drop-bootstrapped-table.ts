import { type Bootstrap, bootstrappedTables } from "../../d1/bootstrapped-tables.js";
import { day, git } from "../../d1/git-history.js";
import { migrationPath, readMigration } from "../../d1/migrations.js";
import type { FolderHit } from "../../d1/rule.js";
import { splitStatements } from "../../sql/split.js";
import { defineRule } from "../rule.js";

const CREATE = /^create\s+(?:virtual\s+)?table\s+(?:if\s+not\s+exists\s+)?["`[]?(\w+)/i;
const DROP = /^drop\s+table\s+(?:if\s+exists\s+)?["`[]?(\w+)/i;
const RENAME = /^alter\s+table\s+["`[]?\w+["`\]]?\s+rename\s+to\s+["`[]?(\w+)/i;

/** The DROP TABLEs of tables no earlier statement of the folder created, in apply order. */
function dropsOfUnknown(dir: string, names: readonly string[]): { name: string; line: number; table: string }[] {
  const created = new Set<string>();
  const out: { name: string; line: number; table: string }[] = [];
  const texts = names.map((name) => ({ name, text: readMigration(migrationPath({ dir }, name)).text }));
  // Most folders drop nothing: only then is every file split.
  if (!texts.some(({ text }) => /\bdrop\s+table\b/i.test(text))) return out;
  for (const { name, text } of texts) {
    for (const s of splitStatements(text).statements) {
      const made = CREATE.exec(s.sql)?.[1] ?? RENAME.exec(s.sql)?.[1];
      if (made) created.add(made.toLowerCase());
      const dropped = DROP.exec(s.sql)?.[1]?.toLowerCase();
      if (dropped && !created.has(dropped)) out.push({ name, line: s.line, table: dropped });
    }
  }
  return out;
}

/**
 * A migration drops a table that no earlier migration created, while the app's own code created that table at run
 * time before the migration was committed (`CREATE TABLE IF NOT EXISTS` in a Worker or Pages Function): on the
 * databases that code ran on, the table holds rows, and the migration's first apply loses them.
 */
export default defineRule({
  meta: {
    id: "d1/drop-bootstrapped-table",
    severity: "warning",
    summary: "A migration drops a table the app's code created itself before migrations took over",
  },
  checkFolder({ dir, names, fileOf }) {
    if (!dir.exists || names.length === 0) return [];
    const drops = dropsOfUnknown(dir.dir, names);
    if (drops.length === 0) return [];
    const made = bootstrappedTables(dir.dir);
    if (made.size === 0) return [];
    // When each migration was first committed (one git call per file; uncommitted counts as now).
    const firstCommit = new Map<string, number>();
    const addedAt = (name: string) => {
      const known = firstCommit.get(name);
      if (known !== undefined) return known;
      const log = git(dir.dir, ["log", "--diff-filter=A", "--format=%ct", "--", name]);
      const t = Number(log?.trim().split("\n").pop());
      firstCommit.set(name, t);
      return t;
    };
    // One finding per file, at its first such DROP.
    const byFile = new Map<string, { line: number; tables: string[]; by: Bootstrap }>();
    for (const d of drops) {
      const by = made.get(d.table);
      if (!by) continue;
      const added = addedAt(d.name);
      if (Number.isFinite(added) && added > 0 && by.time >= added) continue;
      const seen = byFile.get(d.name);
      if (seen) seen.tables.push(d.table);
      else byFile.set(d.name, { line: d.line, tables: [d.table], by });
    }
    const hits: FolderHit[] = [...byFile].map(([name, { line, tables, by }]) => {
      const list = tables.join(", ");
      const them = tables.length > 1 ? "they hold" : `${list} holds`;
      return {
        file: fileOf(name),
        line,
        message: `${name} drops ${list}, which no earlier migration creates, but the app's code created ${tables.length > 1 ? "them" : "it"} itself before this migration existed (${by.file}, commit ${by.commit.slice(0, 7)} of ${day(by.time)}): on a database that code ran on, ${them} rows, and the first \`wrangler d1 migrations apply --remote\` loses every one of them`,
        fix: `Drop only what is sure to be empty: replace \`DROP TABLE ${tables[0]}\` with \`CREATE TABLE IF NOT EXISTS ${tables[0]} (…)\` matching what the code created, and change it with ALTER TABLE in later migrations; before applying, check production with \`wrangler d1 execute <db> --remote --command "SELECT COUNT(*) FROM ${tables[0]}"\`.`,
        data: { tables, commit: by.commit, createdIn: by.file },
      };
    });
    return hits;
  },
});
