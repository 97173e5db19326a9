import type { RuleMeta } from "../../findings.js";
import { defineRule } from "../rule.js";

export const meta: RuleMeta = {
  id: "d1/out-of-order-migration",
  severity: "error",
  summary: "A new migration is numbered below the latest locked one",
};

/** A new file that sorts before the last locked (and probably applied) migration. */
function outOfOrder(name: string, latestLocked: string): { line: number; message: string; fix: string } {
  const next = Number.parseInt(latestLocked.split("_")[0] ?? "0", 10) + 1;
  const suffix = name.replace(/^\d+_?/, "");
  return {
    line: 1,
    message: `${name} is new but sorts before ${latestLocked}, the latest locked migration; databases that already applied ${latestLocked} would apply ${name} after it, so production and fresh databases would differ`,
    fix: `Renumber it above the latest one, e.g. \`${String(Number.isNaN(next) ? 1 : next).padStart(4, "0")}_${suffix || "migration.sql"}\`, then run \`blastwall migrations lock\`.`,
  };
}

/** New files that migrations.lock places before its latest locked file. */
export default defineRule({
  meta,
  checkFolder({ lock, fileOf }) {
    return (lock()?.problems ?? []).flatMap((p) =>
      p.kind === "out-of-order" ? [{ file: fileOf(p.name), ...outOfOrder(p.name, p.latestLocked) }] : [],
    );
  },
});
