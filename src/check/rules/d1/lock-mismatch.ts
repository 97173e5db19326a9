import type { LockProblem } from "../../d1/lock.js";
import type { FolderHit } from "../../d1/rule.js";
import type { RuleMeta } from "../../findings.js";
import { defineRule } from "../rule.js";

export const meta: RuleMeta = {
  id: "d1/lock-mismatch",
  severity: "error",
  summary: "A migration recorded in migrations.lock was edited, removed or reordered",
};

/** Where the finding goes and what it says, for one lock problem (out-of-order files have their own rule). */
function mismatch(p: LockProblem, paths: { lock: string; file: (name: string) => string }): FolderHit | undefined {
  const regen = "then run `blastwall migrations lock`";
  switch (p.kind) {
    case "edited":
      // Named inside the folder, so the file's own suppressions apply and its file rules see it.
      return {
        name: p.name,
        line: 1,
        message: `${p.name} differs from the version locked in migrations.lock (line ${p.lockLine}); databases that already applied it keep the old schema, because D1 never re-runs an applied migration`,
        fix: `Restore ${p.name} (\`git checkout -- ${paths.file(p.name)}\`) and put the change in a new migration; if ${p.name} was never applied anywhere, ${regen}.`,
        data: { kind: "edited" },
      };
    case "removed":
      return {
        file: paths.lock,
        line: p.lockLine,
        message: `${p.name} is locked but no longer in the migrations folder; databases that applied it now differ from new ones built from the folder`,
        fix: `Restore ${p.name}; to undo what it did, write a new migration. If it was never applied anywhere, ${regen}.`,
      };
    case "reordered":
      return {
        name: p.name,
        line: 1,
        message: `${p.name} is now applied in a different position than migrations.lock records${p.expectedAfter ? ` (it was locked right after ${p.expectedAfter})` : ""}; a fresh database would apply the history in another order than production did`,
        fix: `Rename the files back to their locked order; new migrations get a number above the last one. If none of them was applied anywhere yet, ${regen}.`,
      };
    default:
      return undefined;
  }
}

/** Compares the folder with migrations.lock, when the folder has one. */
export default defineRule({
  meta,
  checkFolder({ lock, fileOf }) {
    const locked = lock();
    if (!locked) return [];
    return locked.problems.flatMap((p) => mismatch(p, { lock: locked.file, file: fileOf }) ?? []);
  },
});
