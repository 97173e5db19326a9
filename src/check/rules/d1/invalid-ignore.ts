import type { RuleMeta } from "../../findings.js";

export const meta: RuleMeta = {
  id: "d1/invalid-ignore",
  severity: "error",
  summary: "A blastwall-ignore comment without a rule id or a reason",
};

/** Suppressions must say which rule and why; a bare one is refused so reviews see the reason. */
export function check(error: string): { message: string; fix: string } {
  return { message: error, fix: "Write `-- blastwall-ignore <rule-id>: <why this is safe>`; the reason is required." };
}
