import type { Finding } from "../check/findings.js";
import type { AnalysisRecord, MetricsIngestion } from "../platform/platform.js";
import type { ResolvedWorkerConfig } from "../project/blastwall-config.js";
import type { WranglerConfig } from "../project/wrangler-config.js";
import type { TestResult } from "./analysis/analyze.js";
import type { StratumDriver } from "./analysis/verdict.js";
import type { ReleasePlan } from "./plan.js";
import type { SmokeResult } from "./smoke.js";

/** What a release reports: the JSON written under .blastwall/releases/, and what its HTML report is drawn from. */

export type Outcome =
  | "promoted"
  | "rolled-back"
  | "refused"
  | "paused"
  | "up-to-date"
  | "migrated"
  | "failed"
  | "interrupted";

/**
 * Whether a release ended where the user wanted the Worker: promoted, already up to date, or migrated. The CLI maps
 * this to its exit code.
 *
 * @example
 * reachedGoal("promoted"); // true
 * reachedGoal("rolled-back"); // false
 */
export function reachedGoal(outcome: Outcome): boolean {
  return outcome === "promoted" || outcome === "up-to-date" || outcome === "migrated";
}

export interface StepReport {
  percent: number;
  seconds: number;
  canaryRequests: number;
  decision: string;
  tests: TestResult[];
}

export interface ReleaseReport {
  release: string;
  worker: string;
  target: string;
  outcome: Outcome;
  /** The decision that ended the release, with its numbers. */
  reason: string;
  candidate: string | undefined;
  stable: string | undefined;
  bundle: string;
  resumed: boolean;
  override: string | undefined;
  startedAt: string;
  finishedAt: string;
  gates: { check: string; dryRun: string };
  blastWindow: ReleasePlan["blastWindow"];
  migrations: { database: string; name: string; class: string; restorePoint: string; when: string }[];
  smoke: SmokeResult[];
  steps: StepReport[];
  /** Every decision line printed, in order. */
  decisions: string[];
  /**
   * The analysis at the end: the sample-ratio check, the strata that drove the last decision, alerts, and at
   * promotion the effect bound from a confidence sequence ("canary error ratio ≤ 1.3× with 99% confidence").
   */
  analysis?: {
    srm: string;
    srmStatus: string;
    strata: StratumDriver[];
    alerts: string[];
    effectBound?: string;
    effectBoundRatio?: number | null;
    /** How the platform ingested the metrics the analysis read: its lag, and whether rows were sampled. */
    ingestion?: MetricsIngestion;
  };
  /** The self-contained HTML report written beside the JSON one. */
  htmlReport?: string;
}

/** What the HTML report of a finished release is drawn from. */
export interface ReleaseReportInput {
  report: ReleaseReport;
  wrangler: WranglerConfig;
  config: ResolvedWorkerConfig;
  /** The analysis decisions of this run, oldest first. */
  polls: readonly AnalysisRecord[];
  findings: readonly Finding[];
  now: Date;
}

/** Renders a release's HTML report (the UI layer provides one, bound to a platform to chart; the release draws nothing). */
export type ReleaseReportRenderer = (input: ReleaseReportInput) => Promise<string>;
