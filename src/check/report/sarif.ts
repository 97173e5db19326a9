import type { CheckResult, RuleMeta, Severity } from "../findings.js";

export interface SarifOptions {
  /** Rule metadata for the rules list (summaries, default levels); unknown ids still get an entry. */
  rules?: readonly RuleMeta[];
  toolVersion?: string;
}

const LEVEL: Record<Severity, "error" | "warning" | "note"> = { error: "error", warning: "warning", info: "note" };

/**
 * SARIF 2.1.0 for GitHub code scanning (`github/codeql-action/upload-sarif`). Paths are relative to the
 * project dir through the `%SRCROOT%` base.
 *
 * @example
 * writeFileSync("blastwall.sarif", renderSarif(result, { rules: ruleMetas }));
 */
export function renderSarif(result: CheckResult, { rules = [], toolVersion = "0.0.0" }: SarifOptions = {}): string {
  const known = new Map(rules.map((r) => [r.id, r]));
  const ids = [...new Set([...rules.map((r) => r.id), ...result.findings.map((f) => f.rule)])].sort();
  const index = new Map(ids.map((id, i) => [id, i]));
  const sarif = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "blastwall",
            version: toolVersion,
            rules: ids.map((id) => {
              const meta = known.get(id);
              return {
                id,
                name: id.replace(/[/-](\w)/g, (_, c: string) => c.toUpperCase()),
                shortDescription: { text: meta?.summary ?? id },
                help: { text: `Problem, why it hurts production and the safe alternative: docs/rules/${id}.md` },
                defaultConfiguration: { level: LEVEL[meta?.severity ?? "warning"] },
              };
            }),
          },
        },
        results: result.findings.map((f) => ({
          ruleId: f.rule,
          ruleIndex: index.get(f.rule) ?? 0,
          level: LEVEL[f.severity],
          message: { text: `${f.message}\nFix: ${f.fix}` },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: f.file, uriBaseId: "%SRCROOT%" },
                region: { startLine: Math.max(1, f.line), startColumn: Math.max(1, f.column ?? 1) },
              },
            },
          ],
          partialFingerprints: { "blastwall/v1": `${f.rule}:${f.file}:${f.message}` },
          ...(f.data ? { properties: { fix: f.fix, data: f.data } } : { properties: { fix: f.fix } }),
        })),
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}
