import { readFileSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { docCommands } from "../../d1/doc-commands.js";
import { executeCommentLine } from "../../d1/hand-apply.js";
import { configsApplyingMigrations, filesExecutedByScripts } from "../../d1/order-apply-scripts.js";
import type { FolderHit } from "../../d1/rule.js";
import { defineRule } from "../rule.js";

const slash = (p: string) => p.split(sep).join("/");

const why =
  '`wrangler d1 execute --file` runs the SQL but records nothing in d1_migrations: a later `wrangler d1 migrations apply` sees the file as pending and runs it again (CREATE TABLE fails with "already exists", ADD COLUMN with "duplicate column name"), running the same command twice fails the same way, and databases set up one way or the other no longer match';

/**
 * Migrations applied with `wrangler d1 execute --file` (a package.json script, or the file's own instructions)
 * instead of `wrangler d1 migrations apply`: nothing is recorded, so neither path can run the next migration.
 * A script with `--local` only touches the dev database and is left alone; a file's own comment counts only when no
 * script applies the folder with `migrations apply`.
 */
export default defineRule({
  meta: {
    id: "d1/applied-by-execute",
    severity: "warning",
    summary: "Migrations are applied with `wrangler d1 execute --file`, which records nothing in d1_migrations",
  },
  checkFolder({ dir, names }) {
    if (!dir.exists || names.length === 0) return [];
    const root = dir.root;
    const inFolder = new Map(names.map((n) => [resolve(dir.dir, n), n]));
    const hits: FolderHit[] = [];
    const byPkg = new Map<string, { script: string; line: number; remote: boolean; files: string[] }>();
    // The script shown: one with --remote, else one named for production, else the first.
    const rank = (e: { remote: boolean; script: string }) => (e.remote ? 2 : /prod/i.test(e.script) ? 1 : 0);
    for (const e of filesExecutedByScripts(root)) {
      const name = inFolder.get(e.file);
      if (!name || e.local) continue;
      const kept = byPkg.get(e.pkg);
      const seen = kept && rank(kept) >= rank(e) ? kept : { ...e, files: kept?.files ?? [] };
      if (!seen.files.includes(name)) seen.files.push(name);
      byPkg.set(e.pkg, seen);
    }
    for (const [pkg, { script, line, remote, files }] of byPkg) {
      const more = files.length > 1 ? ` (and ${files.length - 1} more)` : "";
      const local = remote
        ? ""
        : " (and without `--remote`, wrangler 3.33 and later runs it on the local database only, so the database the script is for gets nothing)";
      hits.push({
        file: slash(relative(root, pkg)),
        line,
        message: `the \`${script}\` script applies ${dir.rel === "." ? "" : `${dir.rel}/`}${files[0]}${more} with \`wrangler d1 execute --file\`${local}: ${why}`,
        fix: `Apply ${dir.rel}/ with \`wrangler d1 migrations apply <database> --remote\` only. On a database where these files already ran through execute, record them first: \`wrangler d1 execute <database> --remote --command "INSERT INTO d1_migrations (name) VALUES ('${files[0]}')${files.length > 1 ? ", …" : ""}"\`, then change the script.`,
        data: { script, files },
      });
    }
    // No script runs them with execute: the files, or the project's docs, may still tell the operator to, unless a
    // script applies them.
    if (byPkg.size > 0 || configsApplyingMigrations(root).size > 0) return hits;
    const told = ownComment(dir.dir, names) ?? docInstruction(root, inFolder);
    return told ? [...hits, told] : hits;
  },
});

const recordFirst = (name: string, then: string) =>
  `Apply it with \`wrangler d1 migrations apply <database> --remote\` and ${then}; on a database where it already ran through execute, record it first: \`INSERT INTO d1_migrations (name) VALUES ('${name}')\`.`;

/** The first migration whose own comment says to apply it with execute. */
function ownComment(folder: string, names: readonly string[]): FolderHit | undefined {
  for (const name of names) {
    let text = "";
    try {
      text = readFileSync(join(folder, name), "utf8");
    } catch {
      continue;
    }
    const at = executeCommentLine(text, name);
    if (at === undefined) continue;
    return {
      name,
      line: at,
      message: `this migration's own comment says to apply it with \`wrangler d1 execute --file\`: ${why}`,
      fix: recordFirst(name, "change the comment"),
      data: { file: name },
    };
  }
  return undefined;
}

/**
 * The first migration (in apply order) that the project's markdown tells operators to run on the remote database
 * with `wrangler d1 execute --remote --file` (a plan, a runbook, the README), when the same docs also apply the
 * folder with `migrations apply`: two paths, so one re-runs what the other ran. A project that only ever runs its
 * files by hand has no d1_migrations to disagree with. A `--local` line only touches the dev database and is left
 * alone. Docs folders are read three levels down, where plans and runbooks sit.
 */
function docInstruction(root: string, inFolder: ReadonlyMap<string, string>): FolderHit | undefined {
  const commands = docCommands(root, { depth: 3 });
  if (!commands.some((c) => c.sub === "migrations apply")) return undefined;
  // Each migration's first instruction, then the first migration in apply order (the map's order) that has one.
  const told = new Map<string, { doc: string; line: number }>();
  for (const c of commands)
    if (c.sub === "execute" && c.remote)
      for (const file of c.files) if (!told.has(file)) told.set(file, { doc: c.doc, line: c.line });
  const at = [...inFolder].find(([file]) => told.has(file));
  const doc = at && told.get(at[0]);
  if (!at || !doc) return undefined;
  const best = { name: at[1], ...doc };
  const where = `${slash(relative(root, best.doc))}:${best.line}`;
  return {
    name: best.name,
    line: 1,
    message: `${where} tells operators to apply this migration with \`wrangler d1 execute --remote --file\`: ${why}`,
    fix: recordFirst(best.name, `change ${where}`),
    data: { file: best.name, doc: where },
  };
}
