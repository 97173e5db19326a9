import { at, sectionName } from "../../config/rule.js";
import type { RuleMeta } from "../../findings.js";
import { defineRule } from "../rule.js";

export const meta: RuleMeta = {
  id: "do/migrations-and-exports",
  severity: "error",
  summary: "`migrations` and `exports` are mutually exclusive in one Worker's config.",
};

/** A section that ends up with both the legacy `migrations` array and the declarative `exports` map. */
export default defineRule({
  meta,
  checkConfig(ctx) {
    const reported = new Set<string>();
    return ctx.sections.flatMap((s) => {
      if (!s.exports || s.migrations.length === 0) return [];
      const key = JSON.stringify([s.migrationsAt, s.exportsAt]);
      if (reported.has(key)) return [];
      reported.add(key);
      return [
        at(
          ctx,
          meta,
          s.exportsAt,
          `${sectionName(s)} has both \`migrations\` (${s.migrations.length} steps) and \`exports\`: wrangler accepts one or the other, so the deploy fails`,
          "keep one form: stay on `migrations` and delete `exports`, or move to `exports` (declare every live class there, mark old ones renamed/transferred) and delete the `migrations` array in the same change",
          { migrations: s.migrations.length, exports: Object.keys(s.exports).length },
        ),
      ];
    });
  },
});
