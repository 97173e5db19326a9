import type { Finding, RuleMeta } from "../../findings.js";
import { defineRule } from "../rule.js";

export const meta: RuleMeta = {
  id: "suppression/missing-reason",
  severity: "error",
  summary: "A blastwall-ignore comment without a rule id or a reason suppresses nothing.",
};

/** The finding for a malformed suppression comment; `error` comes from parseSuppression. */
export function missingReason(file: string, line: number, error: string): Finding {
  return {
    rule: meta.id,
    severity: meta.severity,
    file,
    line,
    message: error,
    fix: "write `blastwall-ignore <rule-id>: <why this is safe>`; the reason is kept in the report for reviewers",
  };
}

/** Reported by the suppression readers of every analyzer (see `missingReason`). */
export default defineRule({ meta });
