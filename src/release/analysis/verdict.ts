import { type EProcessState, eValue, logEValue } from "./e-process.js";
import type { AnalysisState, TestName } from "./types.js";

/**
 * The decision of one poll, from the analysis state: the tests' e-values averaged, which of them may roll back,
 * the sample-ratio check, the strata that carried the evidence, and alerts that are not grounds for a rollback.
 */

export interface TestResult {
  name: TestName;
  e: number;
  /** K/α: the e-value at which this test alone brings the average of the K tests to 1/α. */
  threshold: number;
  reject: boolean;
  /** One line with the numbers, e.g. "canary 5xx 4.1% (41/1000) vs stable 0.2% (18/9000), e=152 ≥ 400". */
  summary: string;
}

export type Action = "rollback" | "pause" | "hold" | "ok";

export interface SrmStatus {
  status: "ok" | "mismatch" | "not tested";
  e: number;
  /** "canary 4.6% of 20000 requests (split 5%), e=0.2 < 100". */
  summary: string;
}

/** A stratum whose share of the error test's evidence is positive, largest first. */
export interface StratumDriver {
  name: string;
  /** "canary 3.1% (31/1000) vs stable 0.5% (45/9000)". */
  counts: string;
  /** This stratum's log likelihood ratio at the grid point that leads the error test. */
  logE: number;
}

export interface Verdict {
  action: Action;
  /** The decision line, strong_migrations style: the numbers, then what happens. */
  message: string;
  tests: TestResult[];
  /** The average of the tests' e-values, and the 1/α it is compared with. */
  e: number;
  threshold: number;
  srm: SrmStatus;
  strata: StratumDriver[];
  /** Worker-wide signals far above their pre-release rate that no version is attributed: alerts, not rollbacks. */
  alerts: string[];
  canaryRequests: number;
  stableRequests: number;
}

/** The latency test's e-value: the average over its quantiles. */
function latencyE(state: AnalysisState): number {
  if (state.latency.length === 0) return 1;
  return state.latency.reduce((s, t) => s + eValue(t.e), 0) / state.latency.length;
}

function testE(state: AnalysisState, name: TestName, t: EProcessState): number {
  return name === "latency" ? latencyE(state) : eValue(t);
}

/**
 * An SLO breach the stable version shares pages, not rolls back: stable's own SLO test has reached 1/α during
 * the release, or its rate over the release is within the tolerance of the ceiling.
 */
function sharedByStable(state: AnalysisState, name: TestName): boolean {
  const o = state.options;
  const theta = 1 + o.toleratedIncrease;
  const s = state.stable;
  if (name === "slo-errors" && o.slo.errorRate !== undefined) {
    return state.stableSlo.errorsBreached || (s.requests > 0 && s.errors / s.requests >= o.slo.errorRate / theta);
  }
  if (name === "slo-latency") {
    const q = o.slo.latencyQuantile ?? 0.95;
    return state.stableSlo.latencyBreached || (s.sloTrials > 0 && s.sloSlow / s.sloTrials >= (1 - q) / theta);
  }
  return false;
}

function testResults(state: AnalysisState): TestResult[] {
  const o = state.options;
  const entries = (Object.entries(state.tests) as [TestName, EProcessState | undefined][]).filter(
    (x): x is [TestName, EProcessState] => x[1] !== undefined,
  );
  const threshold = entries.length / o.alpha;
  return entries.map(([name, t]) => {
    const e = testE(state, name, t);
    return {
      name,
      e,
      threshold,
      reject: e >= threshold,
      summary: `${describe(name, state)}, ${formatE(e, threshold)}`,
    };
  });
}

function srmStatus(state: AnalysisState): SrmStatus {
  const { srm, options: o } = state;
  if (srm.total === 0) return { status: "not tested", e: 1, summary: "sample ratio: no split windows yet" };
  const e = (eValue(srm.up) + eValue(srm.down)) / 2;
  const threshold = 1 / o.alpha;
  const share = formatPercent(srm.canary, srm.total);
  return {
    status: e >= threshold ? "mismatch" : "ok",
    e,
    summary: `sample ratio: canary ${share} of ${srm.total} requests vs the configured split, ${formatE(e, threshold)}`,
  };
}

/** The strata that pushed the error test up, at its leading grid point. */
function drivers(state: AnalysisState): StratumDriver[] {
  const t = state.tests.errors;
  if (!t) return [];
  let lead = 0;
  t.logLr.forEach((l, i) => {
    if (l > (t.logLr[lead] ?? Number.NEGATIVE_INFINITY)) lead = i;
  });
  return Object.entries(state.strata)
    .map(([name, s]) => ({
      name,
      counts: `${ratio("canary", s.canary.errors, s.canary.requests)} vs ${ratio("stable", s.stable.errors, s.stable.requests)}`,
      logE: s.logLr[lead] ?? 0,
    }))
    .filter((d) => d.logE > 0)
    .sort((a, b) => b.logE - a.logE)
    .slice(0, 5);
}

function alerts(state: AnalysisState): string[] {
  const threshold = Math.log(1 / state.options.alpha);
  const out: string[] = [];
  const { dlq, durableObjects: d, options: o, seconds } = state;
  if (o.watch.queues.length > 0 && logEValue(dlq.alert) >= threshold) {
    out.push(
      `DLQ ${o.watch.queues.join(", ")}: ${dlq.unattributed} messages in ${Math.round(seconds)} s, above the pre-release rate (not attributed to a version)`,
    );
  }
  if (o.watch.durableObjects.length > 0 && logEValue(d.alert) >= threshold) {
    out.push(
      `DO ${o.watch.durableObjects.join(", ")}: ${d.unattributed} errors in ${Math.round(seconds)} s, above the pre-release rate (not attributed to a version)`,
    );
  }
  return out;
}

/**
 * Re-derives the verdict of a state (the last poll's decision).
 *
 * @example
 * verdictOf(state).action; // "ok"
 */
export function verdictOf(state: AnalysisState): Verdict {
  const o = state.options;
  const tests = testResults(state);
  const k = Math.max(1, tests.length);
  const e = tests.reduce((s, t) => s + t.e, 0) / k;
  const threshold = 1 / o.alpha;
  const srm = srmStatus(state);
  const base = {
    tests,
    e,
    threshold,
    srm,
    strata: drivers(state),
    alerts: alerts(state),
    canaryRequests: state.canary.requests,
    stableRequests: state.stable.requests,
  };
  const lead = [...tests].sort((a, b) => b.e - a.e).filter((t) => t.e >= 1);
  const combined = `average ${formatE(e, threshold)}`;
  if (e >= threshold) {
    const rollable = tests.filter((t) => !sharedByStable(state, t.name)).reduce((s, t) => s + t.e, 0) / k;
    const why = `${lead.map((t) => t.summary).join("; ")}; ${combined}`;
    if (rollable >= threshold) return { action: "rollback", message: `${why}: rolling back`, ...base };
    return { action: "pause", message: `${why}: stable breaches the SLO too, pausing and paging`, ...base };
  }
  if (srm.status === "mismatch") {
    return { action: "pause", message: `${srm.summary}: the split is not what was configured, pausing`, ...base };
  }
  return { ...holdOrOk(state, tests), ...base };
}

function holdOrOk(state: AnalysisState, tests: TestResult[]): { action: Action; message: string } {
  const o = state.options;
  const main = tests.find((r) => r.name === "errors")?.summary ?? "";
  if (state.canary.requests < o.minSamples) {
    return {
      action: "hold",
      message: `${main}: holding, canary has ${state.canary.requests}/${o.minSamples} requests`,
    };
  }
  // "No regression" must speak for latency too: a slow canary could otherwise pass a short step unseen.
  const latencyTrials = Math.min(...state.latency.map((t) => t.canaryTrials));
  if (state.latency.length > 0 && latencyTrials < o.minSamples) {
    return {
      action: "hold",
      message: `${main}: holding, the latency test has ${latencyTrials}/${o.minSamples} canary requests`,
    };
  }
  return { action: "ok", message: `${main}: no regression so far` };
}

export function formatPercent(x: number, n: number): string {
  if (n <= 0) return "–";
  const p = (100 * x) / n;
  return `${p >= 10 || p === 0 ? p.toFixed(0) : p.toFixed(1)}%`;
}

export function formatE(e: number, threshold: number): string {
  const num = (v: number) =>
    !Number.isFinite(v) ? "∞" : v >= 1e6 ? v.toExponential(1) : v >= 10 ? v.toFixed(0) : v.toFixed(1);
  return `e=${num(e)} ${e >= threshold ? "≥" : "<"} ${num(threshold)}`;
}

function ratio(label: string, x: number, n: number): string {
  return `${label} ${formatPercent(x, n)} (${x}/${n})`;
}

function describeLatency(st: AnalysisState): string {
  const { options: o } = st;
  if (st.latency.length === 0) return "latency: no pre-release bound";
  const parts = st.latency.map(
    (t) =>
      `${t.quantile}: canary > ${t.canaryBoundMs} ms ${formatPercent(t.canarySlow, t.canaryTrials)} vs stable > ${t.boundMs} ms ${formatPercent(t.stableSlow, t.stableTrials)}`,
  );
  return `latency (+${Math.round(o.toleratedIncrease * 100)}% tolerated) ${parts.join(", ")}`;
}

function describe(name: TestName, st: AnalysisState): string {
  const { canary: c, stable: s, options: o } = st;
  switch (name) {
    case "errors":
      return `${ratio("canary 5xx", c.errors, c.requests)} vs ${ratio("stable", s.errors, s.requests)}`;
    case "latency":
      return describeLatency(st);
    case "slo-errors":
      return `${ratio("canary 5xx", c.errors, c.requests)} vs SLO ceiling ${((o.slo.errorRate ?? 0) * 100).toFixed(2)}%`;
    case "slo-latency": {
      const q = Math.round((o.slo.latencyQuantile ?? 0.95) * 100);
      return `${ratio(`canary slower than ${o.slo.latencyMs} ms`, c.sloSlow, c.sloTrials)} vs SLO p${q} ≤ ${o.slo.latencyMs} ms (≤ ${100 - q}% allowed)`;
    }
    case "dlq":
      return `DLQ ${o.watch.queues.join(", ")}: canary ${st.dlq.canary} vs stable ${st.dlq.stable} messages (attributed)`;
    case "durable-objects":
      return `DO ${o.watch.durableObjects.join(", ")}: canary ${st.durableObjects.canary} vs stable ${st.durableObjects.stable} errors (attributed)`;
  }
}
