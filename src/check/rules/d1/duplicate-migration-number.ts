import { leadingMigrationNumber } from "../../../core/migration-order.js";
import { commuteVerdicts, type OrderPair, pairKey } from "../../d1/order-commute.js";
import type { FolderHit } from "../../d1/rule.js";
import type { RuleMeta } from "../../findings.js";
import { defineRule } from "../rule.js";

export const meta: RuleMeta = {
  id: "d1/duplicate-migration-number",
  severity: "error",
  summary: "Two migrations share a number and give different databases depending on which one runs first",
};

/** Files in apply order, grouped by their leading number, for numbers that more than one file uses. */
function sharedNumbers(names: readonly string[]): Map<number, string[]> {
  const groups = new Map<number, string[]>();
  for (const name of names) {
    const n = leadingMigrationNumber(name);
    if (Number.isFinite(n)) groups.set(n, [...(groups.get(n) ?? []), name]);
  }
  return new Map([...groups].filter(([, g]) => g.length > 1));
}

/**
 * Every file whose leading number an earlier file already uses (`0006_a.sql`, `0006_b.sql`). A database that applied
 * the later one before the earlier existed runs them the other way round; both orders are replayed, and only a pair
 * whose orders give different databases (a statement that fails in one order, another schema, other rows) is a
 * hazard. A pair that commutes is info: the numbers still collide, but every database ends up the same.
 */
export default defineRule({
  meta,
  checkFolder({ dir, names }) {
    const groups = sharedNumbers(names);
    if (groups.size === 0) return [];
    const pairs: OrderPair[] = [];
    for (const group of groups.values())
      group.forEach((second, j) => {
        for (const first of group.slice(0, j)) pairs.push({ first, second });
      });
    const verdicts = commuteVerdicts(dir, names, pairs);
    let next = Math.max(0, ...names.map(leadingMigrationNumber).filter(Number.isFinite));
    const hits: FolderHit[] = [];
    for (const [n, group] of groups)
      for (const name of group.slice(1)) {
        next++;
        const width = name.split("_")[0]?.length ?? 4;
        const renamed = `${String(next).padStart(width, "0")}_${name.split("_").slice(1).join("_") || "migration.sql"}`;
        const earlier = group.slice(0, group.indexOf(name));
        const found = earlier.flatMap((first) => {
          const v = verdicts.get(pairKey({ first, second: name }));
          return v && !v.commutes ? [{ first, ...v }] : [];
        });
        const clash = found.find((f) => f.kind !== "columns") ?? found[0];
        const other = clash?.first ?? earlier[0] ?? "";
        const order = `A fresh database applies ${other} first; one that applied ${name} before ${other} existed (if ${name} was merged and applied first) runs them the other way round`;
        if (!clash) {
          hits.push({
            name,
            line: 1,
            severity: "info",
            message: `${name} has number ${n}, like ${earlier.join(", ")}. ${order}, but the two orders were replayed and give the same schema and rows, so every database ends up the same`,
            fix: `Nothing to fix. To keep numbers unique, rename ${name} to ${renamed} if it has not been applied anywhere yet.`,
            data: { number: n, other, commutes: true },
          });
          continue;
        }
        hits.push({
          name,
          line: 1,
          // Only positional SQL sees another column order, and D1's results are keyed by name: worth knowing, no hazard.
          ...(clash.kind === "columns" ? { severity: "info" as const } : {}),
          message: `${name} has number ${n}, like ${other}. ${order}, and the two orders give different databases: ${clash.difference}`,
          fix: `If ${name} has not been applied anywhere, rename it to ${renamed} so every database runs it after ${other}. If both shipped, add a migration that brings both orders to the same schema (e.g. guarded by what ${clash.kind === "rows" ? "the rows" : "the schema"} holds), then mark this file: \`-- blastwall-ignore-file ${meta.id}: <why both orders now end the same>\``,
          data: { number: n, other, commutes: false, difference: clash.kind },
        });
      }
    return hits;
  },
});
