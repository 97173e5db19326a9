import type { RuleMeta } from "../../findings.js";
import { defineRule } from "../rule.js";

export const meta: RuleMeta = {
  id: "d1/unused-ignore",
  severity: "warning",
  summary: "A blastwall-ignore comment matches no finding",
};

/** A suppression that suppressed nothing: stale, misspelt, or placed before the wrong statement. */
function unused(rule: string, scope: "file" | "next"): { message: string; fix: string } {
  return {
    message: `blastwall-ignore${scope === "file" ? "-file" : ""} ${rule} matches no finding${scope === "next" ? " on the statement after it" : " in this file"}`,
    fix: `Remove the comment, or fix the rule id (see docs/rules/${rule}.md) and put it directly above the statement it excuses.`,
  };
}

/** Suppressions that matched no finding, where the reader tracks use (D1 migrations). */
export default defineRule({
  meta,
  checkSuppressions: ({ applied = [] }) =>
    applied.filter((s) => !s.used).map((s) => ({ line: s.line, ...unused(s.rule, s.scope) })),
});
