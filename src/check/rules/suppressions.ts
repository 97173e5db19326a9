import type { Finding } from "../findings.js";
import { rules } from "./index.js";
import { report } from "./report.js";
import type { SuppressionContext } from "./rule.js";

/**
 * What the rules say about one file's suppression comments (malformed ones, unused ones): every analyzer's
 * suppression reader calls this once per file.
 *
 * @example
 * suppressionFindings({ file: "migrations/0004.sql", malformed: [{ line: 3, error: "needs a reason" }] });
 */
export function suppressionFindings(ctx: SuppressionContext): Finding[] {
  return rules.flatMap((r) => (r.checkSuppressions?.(ctx) ?? []).map((h) => report(r.meta, h, ctx.file)));
}
