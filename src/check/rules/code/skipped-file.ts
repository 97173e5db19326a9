import type { SkippedSource, WorkerCode } from "../../code/rule.js";
import { unreadMain } from "../../code/unread-main.js";
import type { RuleMeta } from "../../findings.js";
import type { PlacedHit } from "../report.js";
import { defineRule } from "../rule.js";

export const meta: RuleMeta = {
  id: "code/skipped-file",
  severity: "warning",
  summary: "A source file could not be analyzed (syntax error, too large, unreadable) and was skipped.",
};

/**
 * The finding for a Worker whose code was not read at all, saying why (`unreadMain`), so "0 findings" never hides
 * it: info when there is no code to read there (assets only, Pages, another language), a warning when `main` cannot
 * be read.
 */
function notAnalysed({ worker, configFile }: WorkerCode): PlacedHit | undefined {
  const unread = unreadMain(worker, configFile);
  if (!unread) return undefined;
  const { why, fix, severity } = unread;
  const line = worker.locate(["main"])?.line ?? 1;
  return { file: configFile, line, severity, message: `code not analysed: ${why}`, fix, data: { reason: why } };
}

/** The warning for a file the code rules could not look at, so a clean report is never silently partial. */
function skippedFile({ file, reason, line = 1 }: SkippedSource): PlacedHit {
  return {
    file,
    line,
    message: `skipped ${file}: ${reason}; no code rule checked it`,
    fix: reason.startsWith("syntax error")
      ? `fix the syntax error at ${file}:${line} (\`npx tsc --noEmit\` shows it), then run the check again`
      : `move generated or vendored code out of the Worker's source folder, or split ${file}`,
    data: { reason },
  };
}

/** Every Worker whose code was not read, and every file no code rule checked. */
export default defineRule({
  meta,
  checkProject: ({ workers, skipped }) => [
    ...workers.flatMap((code) => notAnalysed(code) ?? []),
    ...skipped.map(skippedFile),
  ],
});
