import { loadProject } from "../project/discover.js";
import type { Analyzer, CheckOptions } from "./analyzer.js";
import { analyzers as registered } from "./analyzers.js";
import { type CheckResult, sortFindings } from "./findings.js";

export interface RunCheckOptions extends CheckOptions {
  analyzers?: readonly Analyzer[];
  onProgress?: (analyzer: string, detail: string) => void;
}

/**
 * Runs every analyzer over the project in `dir` and returns the JSON contract (version 1).
 *
 * @example
 * const result = await runCheck("examples/shop");
 * result.findings.filter((f) => f.severity === "error");
 */
export async function runCheck(
  dir: string,
  { analyzers = registered, onProgress, ...options }: RunCheckOptions = {},
): Promise<CheckResult> {
  const project = loadProject(dir);
  const result: CheckResult = { version: 1, findings: [], migrations: [] };
  for (const a of analyzers) {
    const out = await a.analyze({ project, options, progress: (d) => onProgress?.(a.name, d) });
    result.findings.push(...out.findings);
    result.migrations.push(...(out.migrations ?? []));
  }
  result.findings = sortFindings(result.findings);
  return result;
}
