import type { Project } from "../../project/discover.js";
import { relativeTo } from "../../project/discover.js";
import type { Finding, MigrationSummary } from "../findings.js";
import { type BaselineFile, fingerprint } from "./baseline-file.js";
import { HISTORY_RULES } from "./park.js";
import { durableObjectStepKeys } from "./shipped.js";

/**
 * The baseline of a project as it is today: every migration file and Durable Object step counts as shipped, and
 * every other warning or error is recorded by fingerprint. Rules about editing history are never recorded.
 *
 * @example
 * writeBaseline(project.root, baselineOf(project, result.findings, result.migrations));
 */
export function baselineOf(
  project: Project,
  findings: readonly Finding[],
  migrations: readonly MigrationSummary[],
): BaselineFile {
  const steps: Record<string, string[]> = {};
  for (const w of project.workers) {
    const keys = durableObjectStepKeys(w);
    if (keys.length > 0) steps[relativeTo(project.root, w.path)] = keys;
  }
  const files = new Set(migrations.map((m) => m.file));
  return {
    version: 1,
    migrations: [...files],
    durableObjectSteps: steps,
    findings: findings
      .filter((f) => f.severity !== "info" && !HISTORY_RULES.has(f.rule) && !files.has(f.file))
      .map(fingerprint),
  };
}
