import { dirname, resolve } from "node:path";
import { isRecord } from "../../../project/wrangler-config.js";
import { findClassFile, importSpecifier } from "../../code/module-exports.js";
import { at, type ConfigRuleContext, stepName } from "../../config/rule.js";
import { type KeyPath, sectionClasses } from "../../config/sections.js";
import type { Finding, RuleMeta } from "../../findings.js";
import { defineRule } from "../rule.js";

export const meta: RuleMeta = {
  id: "do/rename-target-not-exported",
  severity: "error",
  summary: "A renamed or transferred Durable Object class's target must be exported by the entry module.",
};

/** "add `export { X } from "./x.js";` to src/index.ts", with the file that declares X when there is one. */
function exportFix(ctx: ConfigRuleContext, cls: string): string {
  const main = ctx.worker.main;
  if (!main) return `export class ${cls} from the Worker's entry module`;
  const entry = resolve(dirname(ctx.worker.path), main);
  const declared = findClassFile(dirname(entry), cls);
  if (declared === entry) return `export the class where it is declared in ${main}: \`export class ${cls} …\``;
  if (declared) return `add \`export { ${cls} } from "${importSpecifier(entry, declared)}";\` to ${main}`;
  return `define class ${cls} (extending DurableObject) and export it from ${main}`;
}

/** Rename and transfer targets that are still live but that the Worker's `main` module does not export. */
export default defineRule({
  meta,
  checkConfig(ctx) {
    const exported = ctx.entryExports();
    if (!exported) return [];
    const main = ctx.worker.main ?? "the entry module";
    const out: Finding[] = [];
    const flag = (path: KeyPath, from: string, to: string, how: string) =>
      out.push(
        at(
          ctx,
          meta,
          path,
          `${how} moves the objects of ${from} to class ${to}, but ${main} does not export ${to}: the deploy is rejected and ${from}'s objects stay unreachable`,
          exportFix(ctx, to),
          { from, to },
        ),
      );
    for (const s of ctx.sections) {
      const live = sectionClasses(s);
      const isLive = (c: string) => live.get(c)?.state === "live";
      if (s.ownMigrations) {
        s.migrations.forEach((m, i) => {
          (m.renamed_classes ?? []).forEach((r, j) => {
            if (r.to && isLive(r.to) && !exported.has(r.to)) {
              flag([...s.migrationsAt, i, "renamed_classes", j, "to"], r.from, r.to, `${stepName(m.tag, i)}'s rename`);
            }
          });
          (m.transferred_classes ?? []).forEach((t, j) => {
            if (t.to && isLive(t.to) && !exported.has(t.to)) {
              flag(
                [...s.migrationsAt, i, "transferred_classes", j, "to"],
                `${t.from_script}/${t.from}`,
                t.to,
                `${stepName(m.tag, i)}'s transfer`,
              );
            }
          });
        });
      }
      if (s.ownExports && s.exports) {
        for (const [cls, decl] of Object.entries(s.exports)) {
          if (!isRecord(decl) || decl.state !== "renamed" || typeof decl.renamed_to !== "string") continue;
          if (!exported.has(decl.renamed_to)) {
            flag([...s.exportsAt, cls, "renamed_to"], cls, decl.renamed_to, `exports' rename of ${cls}`);
          }
        }
      }
    }
    return out;
  },
});
