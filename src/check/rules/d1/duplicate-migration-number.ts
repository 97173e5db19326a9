import { leadingMigrationNumber } from "../../../core/migration-order.js";
import type { FolderHit } from "../../d1/rule.js";
import type { RuleMeta } from "../../findings.js";
import { defineRule } from "../rule.js";

export const meta: RuleMeta = {
  id: "d1/duplicate-migration-number",
  severity: "error",
  summary: "Two migrations share a number, so databases can apply them in different orders",
};

/** Every file whose leading number an earlier file already uses (`0006_a.sql`, `0006_b.sql`). */
export default defineRule({
  meta,
  checkFolder({ names }) {
    const first = new Map<number, string>();
    const max = Math.max(0, ...names.map(leadingMigrationNumber).filter(Number.isFinite));
    let next = max;
    const hits: FolderHit[] = [];
    for (const name of names) {
      const n = leadingMigrationNumber(name);
      if (!Number.isFinite(n)) continue;
      const earlier = first.get(n);
      if (earlier === undefined) {
        first.set(n, name);
        continue;
      }
      next++;
      const width = name.split("_")[0]?.length ?? 4;
      const renamed = `${String(next).padStart(width, "0")}_${name.split("_").slice(1).join("_") || "migration.sql"}`;
      hits.push({
        name,
        line: 1,
        message: `${name} has number ${n}, like ${earlier}: a database that applied ${name} (merged first) before ${earlier} existed runs them in the other order than a fresh one, so their schemas can differ`,
        fix: `if ${name} has not been applied anywhere, rename it to ${renamed}; if both shipped, make the later one safe to run in either order and mark it: \`-- blastwall-ignore-file ${meta.id}: <why either order is safe>\``,
        data: { number: n, other: earlier },
      });
    }
    return hits;
  },
});
