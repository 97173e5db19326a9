import type { RuleMeta } from "../../findings.js";
import { defineRule } from "../rule.js";

export const meta: RuleMeta = {
  id: "suppression/missing-reason",
  severity: "error",
  summary: "A blastwall-ignore comment without a rule id or a reason suppresses nothing.",
};

/** A `blastwall-ignore` comment without a rule id or a reason, in any file an analyzer reads. */
export default defineRule({
  meta,
  checkSuppressions: ({ malformed }) =>
    malformed.map(({ line, error }) => ({
      line,
      message: error,
      fix: "write `blastwall-ignore <rule-id>: <why this is safe>`; the reason is kept in the report for reviewers",
    })),
});
