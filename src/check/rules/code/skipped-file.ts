import type { Finding, RuleMeta } from "../../findings.js";
import { defineRule } from "../rule.js";

export const meta: RuleMeta = {
  id: "code/skipped-file",
  severity: "warning",
  summary: "A source file could not be analyzed (syntax error, too large, unreadable) and was skipped.",
};

/**
 * The finding for a Worker whose code was not read at all, saying why, so "0 findings" never hides it.
 * A Worker without `main` (assets only) is info; a `main` that cannot be read is a warning.
 */
export function codeNotAnalysed(
  configFile: string,
  line: number,
  why: string,
  fix: string,
  severity: Finding["severity"],
): Finding {
  return {
    rule: meta.id,
    severity,
    file: configFile,
    line,
    message: `code not analysed: ${why}`,
    fix,
    data: { reason: why },
  };
}

/** The warning for a file the code rules could not look at, so a clean report is never silently partial. */
export function skippedFile(file: string, reason: string, line = 1): Finding {
  return {
    rule: meta.id,
    severity: meta.severity,
    file,
    line,
    message: `skipped ${file}: ${reason}; no code rule checked it`,
    fix: reason.startsWith("syntax error")
      ? `fix the syntax error at ${file}:${line} (\`npx tsc --noEmit\` shows it), then run the check again`
      : `move generated or vendored code out of the Worker's source folder, or split ${file}`,
    data: { reason },
  };
}

/** Reported by the code analyzer itself when it cannot read a file (see `skippedFile`, `codeNotAnalysed`). */
export default defineRule({ meta });
