import type { CheckResult } from "../findings.js";

/**
 * The stable JSON contract (version 1, docs/check-json.md): `{ version, findings, migrations }`.
 *
 * @example
 * JSON.parse(renderJson(result)).version; // 1
 */
export function renderJson(result: CheckResult): string {
  const { version, findings, migrations, baseline } = result;
  return `${JSON.stringify({ version, findings, migrations, ...(baseline ? { baseline } : {}) }, null, 2)}\n`;
}
