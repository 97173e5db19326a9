import { dirname, relative, sep } from "node:path";
import { deployWithoutMigrate } from "../../d1/push-deploy.js";
import { type D1RuleContext, databaseName, flatChanges, ident } from "../../d1/rule.js";
import { defineRule } from "../rule.js";

const slash = (p: string) => p.split(sep).join("/");

/** The first thing the file adds that the deployed code uses: a column it reads or writes, or a table it queries. */
function firstUsed({ file, code }: D1RuleContext): { line: number; what: string } | undefined {
  if (!code) return undefined;
  const selfAdded = new Set(code.columnAdds().map((a) => `${a.table}.${a.column}`.toLowerCase()));
  const selfMade = code.queries().createdTables;
  for (const c of flatChanges(file)) {
    if (c.kind === "add-column") {
      const name = `${c.table}.${c.column.name}`;
      if (!selfAdded.has(name.toLowerCase()) && code.mentions(c.column.name, c.table, "table"))
        return { line: c.line, what: `column ${name}` };
    } else if (c.kind === "create-table" && !c.viaRebuild) {
      if (!selfMade.has(c.table.toLowerCase()) && code.mentions(c.table, undefined, "table"))
        return { line: c.line, what: `table ${c.table}` };
    }
  }
  return undefined;
}

/**
 * A CI workflow deploys the Worker on every push, and nothing in CI applies its D1 migrations to the remote database,
 * or the same job applies them only after the deploy step.
 * Reported once per folder, on its newest migration, at the first column or table it adds that the deployed code
 * uses: pushed together, that code goes live before anyone has applied the file, and its queries fail until then.
 */
export default defineRule({
  meta: {
    id: "d1/deploy-without-migrate",
    severity: "warning",
    summary: "CI deploys the Worker on push but never applies its migrations, or applies them only after the deploy",
  },
  checkMigration(ctx) {
    const { file, folder } = ctx;
    if (!folder || file.name !== folder.last || !ctx.code || folder.dir.configs.length === 0) return [];
    const used = firstUsed(ctx);
    if (!used) return [];
    const step = deployWithoutMigrate(
      folder.dir.dir,
      folder.dir.configs.map((c) => dirname(c.path)),
    );
    if (!step) return [];
    const root = folder.dir.root;
    const workflow = `${slash(relative(root, step.file))}:${step.line}`;
    const db = databaseName(folder.dir);
    const missing = `"no such ${used.what.startsWith("table") ? "table" : "column"}"`;
    const after = step.migratesAfter;
    if (after)
      return [
        {
          line: used.line,
          message: `${workflow} deploys the Worker before the same job applies the migrations (line ${after.line}): the code pushed with ${file.name} uses the ${used.what}, which only this file adds, so it serves on the old schema, with its queries failing with ${missing}, until that later step has run${after.ignoresFailure ? `; and the step lets a failed migration pass, so the deploy stays up with code whose schema never arrived` : ""}`,
          fix: `Move the migrations step before the deploy step${after.ignoresFailure ? " and let it fail the job (drop `|| true` or `continue-on-error`)" : ""}: \`npx wrangler d1 migrations apply ${ident(db)} --remote\`, then \`wrangler deploy\`. Keep each migration additive, so the version still serving keeps working once it has run.`,
          data: { workflow, uses: used.what, migratesAt: after.line, ignoresFailure: after.ignoresFailure },
        },
      ];
    return [
      {
        line: used.line,
        message: `${workflow} deploys the Worker on every push, and no workflow applies ${folder.dir.rel}/ to the remote database: the code pushed with ${file.name} uses the ${used.what}, which only this file adds, so it goes live before anyone runs \`wrangler d1 migrations apply --remote\` and its queries fail with "no such ${used.what.startsWith("table") ? "table" : "column"}" until then`,
        fix: `Apply the folder in the same workflow, before the deploy step: \`npx wrangler d1 migrations apply ${ident(db)} --remote\` (with the deploy's CLOUDFLARE_API_TOKEN). Keep each migration additive, so the version still serving keeps working once it has run.`,
        data: { workflow, uses: used.what },
      },
    ];
  },
});
