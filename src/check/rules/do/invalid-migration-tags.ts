import { at, kv } from "../../config/rule.js";
import type { RuleMeta } from "../../findings.js";
import { defineRule } from "../rule.js";

export const meta: RuleMeta = {
  id: "do/invalid-migration-tags",
  severity: "error",
  summary: "Durable Object migration tags must be unique strings.",
};

/** Tags that are missing, not strings, or repeated within one section's migrations. */
export default defineRule({
  meta,
  checkConfig(ctx) {
    return ctx.sections
      .filter((s) => s.ownMigrations)
      .flatMap((s) => {
        const seen = new Map<string, number>();
        return s.migrations.flatMap((m, i) => {
          const path = [...s.migrationsAt, i, "tag"];
          if (typeof m.tag !== "string" || m.tag === "") {
            return [
              at(
                ctx,
                meta,
                path,
                `migration #${i + 1} has tag ${JSON.stringify(m.tag ?? null)}: wrangler compares tags as strings to know which steps already ran`,
                `give it a unique string tag: ${kv(ctx, "tag", `v${i + 1}`)}`,
                { index: i, tag: m.tag ?? null },
              ),
            ];
          }
          const first = seen.get(m.tag);
          seen.set(m.tag, first ?? i);
          if (first === undefined) return [];
          return [
            at(
              ctx,
              meta,
              path,
              `migration #${i + 1} repeats tag "${m.tag}" of migration #${first + 1}: the platform treats a known tag as already applied, so this step never runs`,
              `give the later step a new tag that no earlier step uses, e.g. ${kv(ctx, "tag", `v${s.migrations.length + 1}`)}`,
              { index: i, tag: m.tag, first },
            ),
          ];
        });
      });
  },
});
