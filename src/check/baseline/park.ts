import type { Project } from "../../project/discover.js";
import { relativeTo } from "../../project/discover.js";
import type { WranglerConfig } from "../../project/wrangler-config.js";
import type { KeyPath } from "../config/sections.js";
import { configSections } from "../config/sections.js";
import type { Finding } from "../findings.js";
import { fingerprint, stepKey } from "./baseline-file.js";
import type { Shipped, ShippedSource } from "./shipped.js";

/** Rules about changing shipped history itself: they stay errors whatever the baseline says. */
export const HISTORY_RULES: ReadonlySet<string> = new Set([
  "d1/lock-mismatch",
  "d1/out-of-order-migration",
  "do/migrations-not-append-only",
]);

interface StepSpan {
  key: string;
  start: number;
  end: number;
}

function leafLines(worker: WranglerConfig, path: KeyPath, value: unknown, out: number[]): void {
  const loc = worker.locate(path);
  if (loc) out.push(loc.line);
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) leafLines(worker, [...path, i], v, out);
  } else if (typeof value === "object" && value !== null)
    for (const [k, v] of Object.entries(value)) leafLines(worker, [...path, k], v, out);
}

/** The lines each Durable Object step occupies in its config, to tie a finding to its step. */
function stepSpans(worker: WranglerConfig): StepSpan[] {
  const spans: StepSpan[] = [];
  for (const s of configSections(worker).filter((x) => x.ownMigrations)) {
    s.migrations.forEach((m, i) => {
      const lines: number[] = [];
      leafLines(worker, [...s.migrationsAt, i], m, lines);
      if (lines.length > 0)
        spans.push({ key: stepKey(s.env, m.tag), start: Math.min(...lines), end: Math.max(...lines) });
    });
  }
  return spans;
}

function sourceOf(f: Finding, shipped: Shipped, spans: Map<string, StepSpan[]>): ShippedSource | undefined {
  if (HISTORY_RULES.has(f.rule)) return undefined;
  const migration = shipped.migrations.get(f.file);
  if (migration) return migration;
  const steps = shipped.durableObjectSteps.get(f.file);
  if (steps) {
    const span = spans.get(f.file)?.find((s) => f.line >= s.start && f.line <= s.end);
    const step = span ? steps.get(span.key) : undefined;
    if (step) return step;
  }
  return shipped.findings.get(fingerprint(f));
}

/**
 * Drops findings on shipped history to info, keeping their first severity in `parked`, so that only what is
 * new fails the check. Findings that are info already are left alone.
 *
 * @example
 * const findings = parkShipped(project, result.findings, await collectShipped(project, options, outputs));
 */
export function parkShipped(project: Project, findings: readonly Finding[], shipped: Shipped): Finding[] {
  const spans = new Map(project.workers.map((w) => [relativeTo(project.root, w.path), stepSpans(w)]));
  return findings.map((f) => {
    if (f.severity === "info") return f;
    const from = sourceOf(f, shipped, spans);
    return from ? { ...f, severity: "info", parked: { from, severity: f.severity } } : f;
  });
}
