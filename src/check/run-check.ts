import { loadProject, type Project } from "../project/discover.js";
import type { Analyzer, AnalyzerOutput, CheckOptions } from "./analyzer.js";
import { analyzers as registered } from "./analyzers.js";
import { BASELINE_FILE, writeBaseline } from "./baseline/baseline-file.js";
import { baselineOf } from "./baseline/init.js";
import { parkShipped } from "./baseline/park.js";
import { collectShipped, type Shipped } from "./baseline/shipped.js";
import { type CheckResult, sortFindings } from "./findings.js";

export interface RunCheckOptions extends CheckOptions {
  analyzers?: readonly Analyzer[];
  onProgress?: (analyzer: string, detail: string) => void;
  /** `check --init`: write blastwall.baseline.json from this run, then report against it. */
  init?: boolean;
}

async function runAnalyzers(
  project: Project,
  analyzers: readonly Analyzer[],
  options: CheckOptions,
  onProgress: RunCheckOptions["onProgress"],
): Promise<AnalyzerOutput[]> {
  const outputs: AnalyzerOutput[] = [];
  for (const a of analyzers)
    outputs.push(await a.analyze({ project, options, progress: (d) => onProgress?.(a.name, d) }));
  return outputs;
}

/** With `init`, records today's history as shipped (on top of `--base` and `--data`) and writes the file. */
async function shippedFor(
  project: Project,
  options: CheckOptions,
  outputs: readonly AnalyzerOutput[],
  init: boolean,
): Promise<{ shipped: Shipped; written?: string }> {
  if (!init) return { shipped: await collectShipped(project, options, outputs) };
  const findings = outputs.flatMap((o) => o.findings);
  const migrations = outputs.flatMap((o) => o.migrations ?? []);
  writeBaseline(project.root, baselineOf(project, findings, migrations));
  return {
    shipped: await collectShipped(project, { ...options, ignoreBaseline: false }, outputs),
    written: BASELINE_FILE,
  };
}

/**
 * Runs every analyzer over the project in `dir` and returns the JSON contract (version 1). Findings on shipped
 * history (blastwall.baseline.json, `--base`, `--data`) drop to info with `parked` set.
 *
 * @example
 * const result = await runCheck("examples/shop");
 * result.findings.filter((f) => f.severity === "error");
 */
export async function runCheck(
  dir: string,
  { analyzers = registered, onProgress, init = false, ...options }: RunCheckOptions = {},
): Promise<CheckResult> {
  const project = loadProject(dir, {
    variants: true,
    templates: true,
    unreadable: true,
    ...(options.configs ? { configs: options.configs } : {}),
  });
  const outputs = await runAnalyzers(project, analyzers, options, onProgress);
  const { shipped, written } = await shippedFor(project, options, outputs, init);
  const findings = parkShipped(
    project,
    outputs.flatMap((o) => o.findings),
    shipped,
  );
  const parked = findings.filter((f) => f.parked).length;
  return {
    version: 1,
    findings: sortFindings(findings),
    migrations: outputs.flatMap((o) => o.migrations ?? []),
    ...(shipped.sources.length > 0 || written
      ? { baseline: { sources: shipped.sources, parked, ...(written ? { written } : {}) } }
      : {}),
  };
}
