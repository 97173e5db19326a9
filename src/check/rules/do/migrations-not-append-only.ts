import type { DurableObjectMigration } from "../../../project/wrangler-config.js";
import { at, sectionName, stepName } from "../../config/rule.js";
import { configSections } from "../../config/sections.js";
import type { Finding, RuleMeta } from "../../findings.js";
import { defineRule } from "../rule.js";

export const meta: RuleMeta = {
  id: "do/migrations-not-append-only",
  severity: "error",
  summary: "With --base, Durable Object migrations must only gain steps at the end; deployed steps never change.",
};

/** A step in a stable form: key order and empty lists don't count as edits. */
function canonical(m: DurableObjectMigration): string {
  const lists: [string, unknown[] | undefined][] = [
    ["new_classes", m.new_classes],
    ["new_sqlite_classes", m.new_sqlite_classes],
    ["renamed_classes", m.renamed_classes],
    ["transferred_classes", m.transferred_classes],
    ["deleted_classes", m.deleted_classes],
  ];
  return JSON.stringify([m.tag, ...lists.filter(([, v]) => v && v.length > 0)]);
}

/** Compares each section's migrations with the same section at the `--base` git ref. */
export default defineRule({
  meta,
  checkConfig(ctx) {
    if (!ctx.base) return [];
    const baseSections = configSections(ctx.base);
    const out: Finding[] = [];
    for (const s of ctx.sections) {
      const before = baseSections.find((b) => b.env === s.env);
      if (!before || before.migrations.length === 0) continue;
      // An env that inherits its migrations is checked through the top level.
      if (s.env !== undefined && !s.ownMigrations && !before.ownMigrations) continue;
      const now = s.migrations;
      const deployed = before.migrations[before.migrations.length - 1]?.tag;
      before.migrations.forEach((old, i) => {
        const j = now.findIndex((m) => m.tag === old.tag);
        if (j === -1) {
          const isDeployed = i === before.migrations.length - 1;
          out.push(
            at(
              ctx,
              meta,
              s.migrationsAt,
              isDeployed
                ? `${sectionName(s)} no longer has ${stepName(old.tag, i)}, the last step at ${ctx.baseRef ?? "the base"}: without the deployed tag wrangler resends every step, and the API rejects them with error 10074`
                : `${sectionName(s)} no longer has ${stepName(old.tag, i)}, which is in the history at ${ctx.baseRef ?? "the base"}: deployed steps cannot be undone or removed`,
              `restore ${stepName(old.tag, i)} exactly as it was at ${ctx.baseRef ?? "the base"} (\`git show ${ctx.baseRef ?? "<base>"}:${ctx.file}\`) and express the change as a new step at the end`,
              {
                tag: old.tag ?? null,
                removed: true,
                deployedTag: deployed ?? null,
                ...(isDeployed ? { code: 10074 } : {}),
              },
            ),
          );
          return;
        }
        const cur = now[j];
        if (cur && canonical(cur) !== canonical(old)) {
          out.push(
            at(
              ctx,
              meta,
              [...s.migrationsAt, j],
              `${sectionName(s)} edits ${stepName(old.tag, i)}, which is in the history at ${ctx.baseRef ?? "the base"}: the platform already applied it and will not apply the edit`,
              `put ${stepName(old.tag, i)} back as it was and append the change as a new step with a new tag (e.g. "v${now.length + 1}")`,
              { tag: old.tag ?? null, edited: true },
            ),
          );
        }
      });
      // New steps must come after every step of the history: an insertion shifts what the platform runs next.
      const known = new Set(before.migrations.map((m) => m.tag));
      const lastKnown = now.reduce((last, m, k) => (known.has(m.tag) ? k : last), -1);
      now.forEach((m, k) => {
        if (known.has(m.tag) || k > lastKnown) return;
        out.push(
          at(
            ctx,
            meta,
            [...s.migrationsAt, k],
            `${sectionName(s)} inserts ${stepName(m.tag, k)} before ${stepName(now[lastKnown]?.tag, lastKnown)}, which is in the history at ${ctx.baseRef ?? "the base"}: new steps must go after every deployed step`,
            `move ${stepName(m.tag, k)} to the end of the migrations array, after ${stepName(deployed, before.migrations.length - 1)}`,
            { tag: m.tag ?? null, inserted: true },
          ),
        );
      });
    }
    return out;
  },
});
