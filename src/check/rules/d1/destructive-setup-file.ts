import { existsSync, readFileSync } from "node:fs";
import { relative, sep } from "node:path";
import { literalCredential } from "../../d1/credentials.js";
import { docCommands } from "../../d1/doc-commands.js";
import { folderBindings } from "../../d1/migrations.js";
import { d1Scripts } from "../../d1/order-apply-scripts.js";
import type { FolderHit } from "../../d1/rule.js";
import { splitStatements } from "../../sql/split.js";
import { defineRule } from "../rule.js";

const slash = (p: string) => p.split(sep).join("/");

/** Statements that destroy every row of a table that already has them (a DELETE only without WHERE). */
const DROP = /^drop\s+table(?:\s+if\s+exists)?\s+["`[]?(\w+)/i;
const DELETE_ALL = /^delete\s+from\s+["`[]?(\w+)["`\]]?\s*$/i;
/** `INSERT INTO x … SELECT … FROM t`: the rows of t are copied before t is dropped (a rebuild, not a loss). */
const copiesFrom = (sql: string, table: string) =>
  /^insert\b/i.test(sql) && new RegExp(`\\bfrom\\s+["\`[]?${table}\\b`, "i").test(sql);

/** What running the file on a database that has rows does: the tables it empties and the login it seeds. */
function harm(text: string): { line: number; why: string } | undefined {
  const statements = splitStatements(text).statements;
  const destroys = statements.flatMap((s, i) => {
    const table = DROP.exec(s.sql)?.[1] ?? DELETE_ALL.exec(s.sql)?.[1];
    if (!table || statements.slice(0, i).some((b) => copiesFrom(b.sql, table))) return [];
    return [{ table, line: s.line }];
  });
  const login = literalCredential(text, false);
  const tables = [...new Set(destroys.map((d) => d.table))];
  const first = destroys[0];
  if (first) {
    const also = login ? `, then seeds ${login.what} (line ${login.line})` : "";
    return { line: first.line, why: `drops or empties ${tables.join(", ")}${also}` };
  }
  return login ? { line: login.line, why: `seeds ${login.what}, one known login` } : undefined;
}

/**
 * A SQL file outside the migrations folder that the project's docs or package.json scripts run on the folder's
 * database with `wrangler d1 execute --file` (not `--local`), and that drops or empties tables or seeds a literal
 * login: run on a database that already has rows, as setup steps are when they are run again, it loses them.
 */
export default defineRule({
  meta: {
    id: "d1/destructive-setup-file",
    severity: "warning",
    summary: "A setup SQL file that docs or scripts run with `d1 execute` drops tables or seeds a known login",
  },
  checkFolder({ dir, names }) {
    if (!dir.exists || names.length === 0) return [];
    const root = dir.root;
    const databases = new Set(
      folderBindings(dir).flatMap(({ binding: b }) => [b.binding, ...(b.database_name ? [b.database_name] : [])]),
    );
    const runs = [
      ...docCommands(root).map((c) => ({ ...c, by: `${slash(relative(root, c.doc))}:${c.line}` })),
      ...d1Scripts(root).map((s) => ({ ...s, by: `the \`${s.script}\` script in ${slash(relative(root, s.pkg))}` })),
    ];
    const hits: FolderHit[] = [];
    const seen = new Set<string>();
    for (const run of runs) {
      if (run.sub !== "execute" || run.local || !run.database || !databases.has(run.database)) continue;
      for (const file of run.files) {
        const rel = slash(relative(root, file));
        if (seen.has(file) || !rel || rel.startsWith("..") || !relative(dir.dir, file).startsWith("..")) continue;
        if (!file.endsWith(".sql") || !existsSync(file)) continue;
        seen.add(file);
        const found = harm(readFileSync(file, "utf8"));
        if (!found) continue;
        const command = `wrangler d1 execute ${run.database}${run.remote ? " --remote" : ""} --file ${rel}`;
        hits.push({
          file: rel,
          line: found.line,
          message: `${rel} ${found.why}, and ${run.by} runs it on ${run.database} with \`${command}\`${run.remote ? "" : " (remote with `--remote`, or with wrangler before 3.33)"}: run on the production database once it has rows, as setup steps are when someone runs them again, it destroys them or leaves a login everyone who reads the repository knows`,
          fix: `Keep ${rel} for local databases only (\`wrangler d1 execute ${run.database} --local --file ${rel}\`, and say so where it is documented); give production its tables through ${dir.rel}/ with \`wrangler d1 migrations apply ${run.database} --remote\`, and create the first account from a secret at deploy time instead of a literal.`,
          data: { by: run.by, database: run.database },
        });
      }
    }
    return hits;
  },
});
