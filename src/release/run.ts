import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Finding } from "../check/findings.js";
import { ANALYSIS_DEFAULTS } from "../core/analysis-defaults.js";
import { BlastwallError } from "../core/errors.js";
import type { Progress, ProgressStep } from "../core/progress.js";
import type {
  AnalysisRecord,
  ExtraSignals,
  MetricsIngestion,
  PlatformAnalysis,
  PlatformD1,
  PlatformSignals,
  PlatformTarget,
  PlatformVersions,
  SplitEntry,
  VersionMetrics,
} from "../platform/platform.js";
import type { ResolvedRampStep, ResolvedWorkerConfig } from "../project/blastwall-config.js";
import type { WranglerConfig } from "../project/wrangler-config.js";
import {
  type AnalysisState,
  analyzePoll,
  createAnalysis,
  errorsOf,
  formatPercent,
  latencyBoundsNeeded,
  type TestResult,
  type Verdict,
  verdictOf,
} from "./analysis/analyze.js";
import { effectBound } from "./analysis/effect-bound.js";
import { plannedSteps } from "./analysis/sample-size.js";
import { decideBlastWindow, type ScheduledMigration } from "./blast-window.js";
import { type CheckGateResult, checkGate, type DryRunResult, dryRunGate, withVars } from "./gates.js";
import { gatherPlan, type ReleasePlan, workerName } from "./plan.js";
import { type PreReleaseRead, readPreRelease } from "./pre-release.js";
import type { Outcome, ReleaseReport, ReleaseReportRenderer } from "./report.js";
import { runSmokeCheck, type SmokeOptions, waitForVersion } from "./smoke.js";
import {
  bundleOf,
  decideStep,
  formatMark,
  formatVersionMessage,
  newReleaseId,
  type Phase,
  resumeStepIndex,
  type StartDecision,
  type StepAction,
  sameBundle,
} from "./state.js";

/**
 * `blastwall release`, end to end: gates → blast window → migrations (restore point before each) → upload →
 * deploy at 0 % → smoke checks through the version-override header → ramp with the analysis at every poll →
 * promote or roll back → report. Every platform change carries a mark in its deployment message, so a killed run
 * resumes or rolls back from the platform's state alone.
 */

export type { Outcome, ReleaseReport, StepReport } from "./report.js";

/** The capabilities a release uses: versions and deployments, signals, D1 and analysis records. */
export type ReleasePlatform = PlatformTarget & PlatformVersions & PlatformSignals & PlatformD1 & PlatformAnalysis;

export interface ReleaseDeps {
  platform: ReleasePlatform;
  /** Where the release tells a person what it does (the CLI passes its console output). */
  out: Progress;
  signal?: AbortSignal;
  now?: () => Date;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  fetch?: typeof fetch;
  checkGate?: (projectDir: string) => Promise<CheckGateResult>;
  dryRunGate?: (w: WranglerConfig, o: { env?: string; signal?: AbortSignal }) => Promise<DryRunResult>;
  /** Renders the HTML report written beside the JSON one (the CLI passes the dashboard's); none without it. */
  renderReport?: ReleaseReportRenderer;
}

export interface RunReleaseOptions {
  projectDir: string;
  wrangler: WranglerConfig;
  config: ResolvedWorkerConfig;
  env?: string;
  /** `--override <reason>`. */
  override?: string;
  /** Vars baked into the candidate at upload (`--var KEY=VALUE`); they count as a code change. */
  vars?: Record<string, string>;
  /** Where the JSON report goes; default <projectDir>/.blastwall/releases. */
  reportDir?: string;
}

class Interrupted extends Error {}

function realSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Interrupted("interrupted"));
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new Interrupted("interrupted"));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Runs one release of one Worker to the end and returns its report.
 *
 * @example
 * const report = await runRelease({ projectDir, wrangler, config }, { platform, out });
 * if (!reachedGoal(report.outcome)) console.log(report.reason);
 */
export async function runRelease(options: RunReleaseOptions, deps: ReleaseDeps): Promise<ReleaseReport> {
  const r = new ReleaseRun(options, deps);
  return r.run();
}

class ReleaseRun {
  private readonly platform: ReleasePlatform;
  private readonly out: Progress;
  private readonly signal: AbortSignal | undefined;
  private readonly now: () => Date;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly worker: string;
  private readonly report: ReleaseReport;
  private live: ProgressStep | undefined;
  /** Every analysis decision of this run, for the HTML report. */
  private readonly polls: AnalysisRecord[] = [];
  private recordWarned = false;
  /** The check gate's findings (errors and warnings), for the HTML report. */
  private findings: Finding[] = [];
  /** Versions in the split the platform serves right now, when this run put a candidate in it. */
  private inFlight: { candidate: string; stable: string } | undefined;
  /** Alerts already raised, so each is printed once. */
  private readonly alerts = new Set<string>();
  /** How the platform ingests metrics (lag, sampling), for the report. */
  private ingestion: MetricsIngestion | undefined;

  constructor(
    private readonly o: RunReleaseOptions,
    private readonly deps: ReleaseDeps,
  ) {
    this.platform = deps.platform;
    this.out = deps.out;
    this.signal = deps.signal;
    this.now = deps.now ?? (() => new Date());
    this.sleep = deps.sleep ?? realSleep;
    this.worker = workerName(o.wrangler);
    this.report = {
      release: "",
      worker: this.worker,
      target: this.platform.target,
      outcome: "failed",
      reason: "",
      candidate: undefined,
      stable: undefined,
      bundle: "",
      resumed: false,
      override: o.override,
      startedAt: this.now().toISOString(),
      finishedAt: "",
      gates: { check: "", dryRun: "" },
      blastWindow: { verdict: "go", reasons: [], irreversible: [], split: [], overridden: false, migrations: [] },
      migrations: [],
      smoke: [],
      steps: [],
      decisions: [],
    };
  }

  private decide(text: string): void {
    this.report.decisions.push(text);
    this.out.line(text);
  }

  /** The sample-ratio status and each stratum that carried the error test's evidence, as the reports show them. */
  private printAnalysis(): void {
    const a = this.report.analysis;
    if (!a) return;
    this.out.line(`${a.srm} (${a.srmStatus})`);
    for (const s of a.strata) this.out.line(`stratum ${s.name}: ${s.counts}, log e ${s.logE.toFixed(1)}`);
  }

  private checkAbort(): void {
    if (this.signal?.aborted) throw new Interrupted("interrupted");
  }

  private mark(phase: Phase, candidate: string): string {
    return formatMark({
      release: this.report.release,
      phase,
      candidate,
      ...(this.report.override !== undefined ? { override: this.report.override } : {}),
    });
  }

  private async deploySplit(candidate: string, stable: string, percent: number, phase: Phase): Promise<void> {
    const split: SplitEntry[] =
      percent >= 100
        ? [{ versionId: candidate, percentage: 100 }]
        : [
            { versionId: stable, percentage: 100 - percent },
            { versionId: candidate, percentage: percent },
          ];
    await this.platform.deploy(this.worker, split, {
      message: this.mark(phase, candidate),
      ...(this.o.env ? { env: this.o.env } : {}),
    });
  }

  private async rollBack(reason: string): Promise<void> {
    const f = this.inFlight;
    if (!f) return;
    await this.platform.rollback(this.worker, {
      to: f.stable,
      message: this.mark("rolled-back", f.candidate),
      ...(this.o.env ? { env: this.o.env } : {}),
    });
    this.inFlight = undefined;
    this.decide(`rolled back to ${f.stable.slice(0, 8)}: ${reason}`);
  }

  private async finish(outcome: Outcome, reason: string): Promise<ReleaseReport> {
    this.report.outcome = outcome;
    this.report.reason = reason;
    this.report.finishedAt = this.now().toISOString();
    if (this.report.release) {
      const dir = this.o.reportDir ?? join(this.o.projectDir, ".blastwall", "releases");
      mkdirSync(dir, { recursive: true });
      const base = join(dir, this.report.release);
      const render = this.deps.renderReport;
      if (render) this.report.htmlReport = `${base}.html`;
      writeFileSync(`${base}.json`, `${JSON.stringify(this.report, null, 2)}\n`);
      if (render) {
        writeFileSync(
          `${base}.html`,
          await render({
            report: this.report,
            wrangler: this.o.wrangler,
            config: this.o.config,
            polls: this.polls,
            findings: this.findings,
            now: this.now(),
          }),
        );
      }
    }
    return this.report;
  }

  /** Keeps one analysis decision for the report, and hands it to the platform for the dashboard. */
  private async recordPoll(record: AnalysisRecord): Promise<void> {
    this.polls.push(record);
    try {
      await this.platform.recordAnalysis?.(record);
    } catch (err) {
      // The dashboard's copy is a convenience; a release never stops over it.
      if (!this.recordWarned)
        this.out.warn(`could not record the analysis for the dashboard: ${(err as Error).message}`);
      this.recordWarned = true;
    }
  }

  async run(): Promise<ReleaseReport> {
    try {
      return await this.main();
    } catch (err) {
      const interrupted = err instanceof Interrupted || this.signal?.aborted === true;
      this.live?.fail(interrupted ? "interrupted" : (err as Error).message);
      if (interrupted) {
        // Ctrl-C: never leave an unwatched canary behind; without a candidate in the split there is nothing to undo.
        await this.rollBack("interrupted (Ctrl-C)");
        return await this.finish("interrupted", "interrupted; the platform is back on the stable version");
      }
      if (this.inFlight) await this.rollBack(`release failed: ${(err as Error).message}`);
      throw err;
    }
  }

  /** The release as a sequence of named steps; each returns a finished report when it ends the release. */
  private async main(): Promise<ReleaseReport> {
    const bundleHash = await this.gates();
    if (typeof bundleHash !== "string") return bundleHash;
    const plan = await this.readPlan(bundleHash);
    const refused = (await this.adoptStart(plan.start)) ?? (await this.blastWindow(plan));
    if (refused) return refused;
    await this.migrate(this.report.blastWindow.migrations.filter((m) => m.when === "before-code"));
    if (plan.start.kind === "up-to-date") return await this.upToDate(plan.start.version);
    const c = await this.candidate(plan.start, bundleHash);
    if (!c.stable) return await this.firstDeployment(c.candidate);
    if (c.runSmoke) {
      const failed = await this.smokeAtZero(c.candidate, c.stable);
      if (failed) return failed;
    }
    const ramp = await this.ramp(c.candidate, c.stable, c.resumeAt, plan);
    if (ramp.outcome !== "promoted") return await this.finish(ramp.outcome, ramp.reason);
    return await this.promote(c.candidate, c.stable, ramp.reason);
  }

  /** Gate 1 and 2: `blastwall check`, then `wrangler deploy --dry-run`. Returns the bundle hash. */
  private async gates(): Promise<string | ReleaseReport> {
    const { o, out } = this;
    let step = out.step("gate: blastwall check");
    this.live = step;
    const check = await (this.deps.checkGate ?? checkGate)(o.projectDir);
    this.report.gates.check = check.summary;
    this.findings = check.findings ?? check.errors;
    if (!check.ok) {
      step.fail(check.summary);
      for (const f of check.errors.slice(0, 10)) this.decide(`${f.file}:${f.line} ${f.rule}: ${f.message}`);
      this.report.release = newReleaseId(this.now());
      return await this.finish(
        "failed",
        `check found ${check.errors.length} errors: fix them or suppress with a reason`,
      );
    }
    step.ok(check.summary);
    this.checkAbort();
    step = out.step("gate: wrangler deploy --dry-run");
    this.live = step;
    const built = await (this.deps.dryRunGate ?? dryRunGate)(o.wrangler, {
      ...this.env(),
      ...(this.signal ? { signal: this.signal } : {}),
    });
    const bundleHash = withVars(built.bundleHash, o.vars);
    this.report.bundle = bundleHash.slice(0, 16);
    this.report.gates.dryRun = `bundle ${bundleHash.slice(0, 16)}, ${(built.bytes / 1024).toFixed(1)} KiB`;
    step.ok(this.report.gates.dryRun);
    this.checkAbort();
    return bundleHash;
  }

  private env(): { env?: string } {
    return this.o.env ? { env: this.o.env } : {};
  }

  private readPlan(bundleHash: string): Promise<ReleasePlan> {
    const { o } = this;
    return gatherPlan({
      platform: this.platform,
      projectDir: o.projectDir,
      wrangler: o.wrangler,
      config: o.config,
      bundleHash,
      now: this.now(),
      ...this.env(),
    });
  }

  /** Takes over the platform's state: resume an in-flight release, roll back an abandoned one, or start fresh. */
  private async adoptStart(start: StartDecision): Promise<ReleaseReport | undefined> {
    if (start.kind === "foreign-split") {
      this.report.release = newReleaseId(this.now());
      return await this.finish(
        "refused",
        `a split blastwall did not make is in force (${start.detail}); finish it or run \`blastwall rollback\` first`,
      );
    }
    if (start.kind === "resume") {
      this.report.release = start.release;
      this.report.resumed = true;
      this.report.override ??= start.override;
      this.inFlight = { candidate: start.candidate, stable: start.stable };
      this.decide(
        `resuming release ${start.release}: candidate ${start.candidate.slice(0, 8)} at ${start.percent}% (${start.phase}), stable ${start.stable.slice(0, 8)}`,
      );
      return undefined;
    }
    this.report.release = newReleaseId(this.now());
    if (start.kind === "abandon") {
      this.inFlight = { candidate: start.candidate, stable: start.stable };
      await this.rollBack(start.reason);
    }
    return undefined;
  }

  /** The blast-window rule: never an irreversible data change with untested code in the same release. */
  private async blastWindow(plan: ReleasePlan): Promise<ReleaseReport | undefined> {
    const bw = decideBlastWindow({
      worker: this.worker,
      code: plan.code,
      d1: plan.d1,
      durableObjects: plan.durableObjects,
      inForceAt100Seconds: plan.inForce?.at100Seconds,
      soakSeconds: this.o.config.soakSeconds,
      ...(this.report.override !== undefined ? { override: this.report.override } : {}),
    });
    this.report.blastWindow = bw;
    const step = this.out.step("blast window");
    this.live = step;
    if (bw.verdict === "refuse") {
      step.fail(bw.reasons.join("; "));
      this.decide(`refused: ${bw.reasons.join("; ")}`);
      this.decide("split it into two releases:");
      for (const s of bw.split) this.decide(`  ${s}`);
      if (this.inFlight) await this.rollBack("the release was refused by the blast-window rule");
      return await this.finish("refused", bw.reasons.join("; "));
    }
    step.ok(bw.reasons.join("; "));
    if (bw.overridden)
      this.decide(`blast-window rule overridden: "${this.report.override}" (recorded in the deployment message)`);
    return undefined;
  }

  private async upToDate(version: string): Promise<ReleaseReport> {
    const n = this.report.migrations.length;
    return await this.finish(
      n > 0 ? "migrated" : "up-to-date",
      `${version.slice(0, 8)} already serves 100% with bundle ${this.report.bundle.slice(0, 8)}${n > 0 ? `; applied ${n} migrations` : ""}`,
    );
  }

  /** The candidate: the in-flight one on resume, a version already uploaded with this bundle, or a new upload. */
  private async candidate(
    start: StartDecision,
    bundleHash: string,
  ): Promise<{ candidate: string; stable: string | undefined; resumeAt: number; runSmoke: boolean }> {
    if (start.kind === "resume") {
      this.report.candidate = start.candidate;
      this.report.stable = start.stable;
      return {
        candidate: start.candidate,
        stable: start.stable,
        resumeAt: start.percent,
        runSmoke: start.phase === "smoke",
      };
    }
    const stable = start.kind === "fresh" || start.kind === "abandon" ? start.stable : undefined;
    const candidate = await this.upload(stable, bundleHash);
    this.report.candidate = candidate;
    this.report.stable = stable;
    return { candidate, stable, resumeAt: 0, runSmoke: true };
  }

  private async upload(stable: string | undefined, bundleHash: string): Promise<string> {
    const { o, platform } = this;
    const step = this.out.step("upload candidate");
    this.live = step;
    const versions = await platform.listVersions(this.worker, o.env);
    const existing = versions.find((v) => v.id !== stable && sameBundle(bundleOf(v), bundleHash));
    if (existing) {
      step.ok(`reusing ${existing.id.slice(0, 8)}, already uploaded with bundle ${this.report.bundle.slice(0, 8)}`);
      return existing.id;
    }
    const v = await platform.uploadVersion({
      worker: this.worker,
      configPath: o.wrangler.path,
      message: formatVersionMessage(this.report.release, bundleHash),
      tag: this.report.release,
      ...(o.vars && Object.keys(o.vars).length > 0 ? { vars: o.vars } : {}),
      ...this.env(),
    });
    step.ok(`version ${v.id.slice(0, 8)}`);
    this.checkAbort();
    return v.id;
  }

  /** First deployment: there is nothing to compare a canary with, or to roll back to. */
  private async firstDeployment(candidate: string): Promise<ReleaseReport> {
    await this.deploySplit(candidate, candidate, 100, "promoted");
    this.decide(
      `first deployment of ${this.worker}: ${candidate.slice(0, 8)} at 100% (no stable version to compare with)`,
    );
    if (!(await this.smoke(candidate)))
      return await this.finish(
        "failed",
        "smoke checks failed on the first deployment; there is no version to roll back to",
      );
    await this.migrate(this.report.blastWindow.migrations.filter((m) => m.when === "after-promotion"));
    return await this.finish("promoted", `first deployment: ${candidate.slice(0, 8)} serves 100%`);
  }

  /** Deploys at 0 % and smoke-tests through the version-override header; a failure rolls back. */
  private async smokeAtZero(candidate: string, stable: string): Promise<ReleaseReport | undefined> {
    await this.deploySplit(candidate, stable, 0, "smoke");
    this.inFlight = { candidate, stable };
    this.decide(`deployed ${candidate.slice(0, 8)} at 0% next to ${stable.slice(0, 8)} at 100%`);
    if (await this.smoke(candidate)) return undefined;
    const failed = this.report.smoke.filter((s) => !s.ok);
    const reason = `smoke check failed: ${failed.map((s) => `${s.name}: ${s.detail}`).join("; ")}`;
    await this.rollBack(reason);
    return await this.finish("rolled-back", `${reason}; the candidate never received traffic`);
  }

  /** Promotes, then any irreversible migrations an override deferred until after the code. */
  private async promote(candidate: string, stable: string, reason: string): Promise<ReleaseReport> {
    await this.deploySplit(candidate, stable, 100, "promoted");
    this.inFlight = undefined;
    this.decide(`promoted ${candidate.slice(0, 8)} to 100%`);
    const bound = this.report.analysis?.effectBound;
    if (bound) this.decide(bound);
    this.printAnalysis();
    await this.migrate(this.report.blastWindow.migrations.filter((m) => m.when === "after-promotion"));
    return await this.finish("promoted", `${candidate.slice(0, 8)} serves 100%; ${reason}`);
  }

  private async migrate(list: ScheduledMigration[]): Promise<void> {
    for (const m of list) {
      this.checkAbort();
      const step = this.out.step(`migration ${m.name} (${m.class}) on ${m.database}`);
      this.live = step;
      const rp = await this.platform.createRestorePoint(this.worker, m.database, m.name);
      const applied = await this.platform.applyMigrations(this.worker, m.database, { upTo: m.name });
      this.report.migrations.push({
        database: m.database,
        name: m.name,
        class: m.class,
        restorePoint: rp.bookmark,
        when: m.when,
      });
      step.ok(`restore point ${rp.bookmark} taken first; applied ${applied.join(", ") || "nothing (already applied)"}`);
    }
  }

  private async smoke(candidate: string): Promise<boolean> {
    const checks = this.o.config.smoke;
    if (checks.length === 0) {
      this.out.warn(
        `no smoke checks configured for ${this.worker}: add 3-5 under workers["${this.worker}"].smoke in blastwall.config.ts`,
      );
      return true;
    }
    const target = await this.platform.smokeTarget?.(this.worker, candidate, this.o.env);
    const preview = target?.preview === true;
    const baseUrl =
      (preview ? target?.baseUrl : undefined) ??
      this.o.config.baseUrl ??
      target?.baseUrl ??
      (await this.platform.workerUrl?.(this.worker, this.o.env));
    if (!baseUrl) {
      throw new BlastwallError(`no URL to send smoke checks to for ${this.worker} on ${this.platform.target}`, {
        location: { file: "blastwall.config.ts" },
        fix: `set workers["${this.worker}"].baseUrl, e.g. "https://${this.worker}.example.workers.dev"`,
      });
    }
    const via = { baseUrl, worker: target?.overrideName ?? this.worker, versionId: candidate, preview };
    if ((await this.awaitOverride(via, checks[0]?.path ?? "/")) === false) return false;
    let ok = true;
    for (const check of checks) {
      this.checkAbort();
      const step = this.out.step(`smoke: ${check.name}`);
      this.live = step;
      const r = await runSmokeCheck(check, {
        ...via,
        ...(this.deps.fetch ? { fetch: this.deps.fetch } : {}),
        ...(this.signal ? { signal: this.signal } : {}),
      });
      this.report.smoke.push(r);
      if (r.ok) step.ok(r.detail);
      else {
        step.fail(r.detail);
        ok = false;
        break;
      }
    }
    return ok;
  }

  /** Waits for the 0% deployment's override to reach the candidate; false when it never did. */
  private async awaitOverride(via: Omit<SmokeOptions, "fetch" | "signal">, path: string): Promise<boolean> {
    const step = this.out.step(`smoke: waiting for ${via.versionId.slice(0, 8)} to answer`);
    const r = await waitForVersion({
      ...via,
      path,
      ...(this.deps.fetch ? { fetch: this.deps.fetch } : {}),
      ...(this.signal ? { signal: this.signal } : {}),
    });
    if (r === "verified") step.ok("the override reaches the candidate");
    else if (r === "unverifiable") step.ok("the Worker does not say which version answered (x-blastwall-version)");
    else step.fail("the override never reached the candidate within 60 s");
    return r !== "timeout";
  }

  private async pause(
    candidate: string,
    stable: string,
    percent: number,
    reason: string,
  ): Promise<{ outcome: "paused"; reason: string }> {
    await this.deploySplit(candidate, stable, percent, "paused");
    this.inFlight = undefined;
    this.decide(
      `paused at ${percent}%: ${reason}. Run \`blastwall release --worker ${this.worker}\` to resume, or \`blastwall rollback\``,
    );
    return { outcome: "paused", reason };
  }

  /**
   * The platform's metrics ingestion: rows arrive up to its lag late, so the analysis reads windows that end that
   * long before now (see dataNow), and rows may be sampled. Recorded so the report shows what the analysis read.
   */
  private async readIngestion(): Promise<void> {
    const get = this.platform.metricsIngestion;
    const ingestion = get ? await get.call(this.platform).catch(() => undefined) : undefined;
    if (!ingestion) return;
    this.ingestion = ingestion;
    this.decide(
      `metrics: the analysis reads each window up to ${ingestion.lagSeconds} s before now (ingestion lag)${ingestion.sampled ? "; rows are sampled at high rates: the tests count the rows kept, and the dispersion estimate allows for their spread" : ""}${ingestion.sharedHost ? "; both versions share one host, so load moves their latency together: the latency test is not tempered by the stable version's own latency variation" : ""}`,
    );
  }

  /** The newest data time the analysis reads: now less the ingestion lag, on a whole second. */
  private dataNow(now = this.now()): Date {
    const lagMs = (this.ingestion?.lagSeconds ?? 0) * 1000;
    return new Date(Math.floor((now.getTime() - lagMs) / 1000) * 1000);
  }

  /** Reads what the analysis fixes before the ramp from the stable version's traffic, and says what it lacks. */
  private async startAnalysis(stable: string): Promise<AnalysisState> {
    const { config } = this.o;
    const a = config.analysis;
    await this.readIngestion();
    let read: PreReleaseRead | undefined;
    try {
      read = await readPreRelease({
        platform: this.platform,
        worker: this.worker,
        stable,
        now: this.dataNow(),
        pollSeconds: config.pollIntervalSeconds,
        latencyQuantiles: a.latencyQuantiles,
        watch: config.watch,
        queueBatchSize: queueBatchSize(this.o.wrangler, config.watch.queues),
        sharedHost: this.ingestion?.sharedHost === true,
        ...this.env(),
      });
    } catch (err) {
      this.out.warn(
        `could not read the traffic before the release (${(err as Error).message}): the latency test is off and the tests assume no over-dispersion`,
      );
    }
    for (const note of read?.notes ?? []) this.out.warn(note);
    const d = read?.preRelease.errorDispersion;
    if (d && (d.fano > 1.5 || d.cv2 > 0.02)) {
      this.decide(
        `stable error counts varied more than chance before the release (Fano ${d.fano.toFixed(1)}, CV² ${d.cv2.toFixed(3)} over ${d.windows} windows${d.peak ? `, the largest ${d.peak.hits} errors of ${d.peak.trials} requests in one window` : ""}): the tests allow for it, so a regression needs more evidence`,
      );
    }
    return createAnalysis({
      alpha: a.alpha,
      toleratedIncrease: a.toleratedIncrease,
      latencyQuantiles: a.latencyQuantiles,
      minSamples: a.minSamples,
      slo: a.slo,
      watch: config.watch,
      ...(read ? { preRelease: read.preRelease } : {}),
    });
  }

  /** Ramps through the steps below 100 %, with the analysis at every poll. */
  /** `resumeAt`: the canary's share when a release resumes (0 for a new one); the ramp continues at the step at or above it. */
  private async ramp(candidate: string, stable: string, resumeAt: number, plan: ReleasePlan): Promise<RampResult> {
    let analysis = await this.startAnalysis(stable);
    for (const t of plan.traffic?.steps ?? []) {
      if (t.warning) this.out.warn(t.warning);
      if (t.raised) this.decide(t.raised);
    }
    let last = "no ramp steps below 100%";
    // Each step's minimum samples (and a preset first step's share) derive from the Worker's traffic at plan time.
    const steps = plannedSteps(this.o.config.steps, plan.traffic?.steps);
    for (let i = resumeStepIndex(steps, resumeAt); i < steps.length; i++) {
      const s = steps[i];
      if (!s || s.percent >= 100) break;
      const r = await this.rampStep(candidate, stable, s, analysis);
      analysis = r.analysis;
      if (r.action.action !== "advance") return await this.endRamp(candidate, stable, s.percent, r.action);
      last = r.action.reason;
    }
    const bound = effectBound(analysis);
    this.report.analysis = {
      ...analysisSummary(verdictOf(analysis), this.ingestion),
      effectBound: bound.summary,
      effectBoundRatio: bound.upper ?? null,
    };
    return { outcome: "promoted", reason: last };
  }

  /** One ramp step: deploy its split, then poll until it advances, rolls back or pauses. */
  private async rampStep(
    candidate: string,
    stable: string,
    s: ResolvedRampStep,
    start: AnalysisState,
  ): Promise<{ analysis: AnalysisState; action: StepAction }> {
    await this.deploySplit(candidate, stable, s.percent, "ramp");
    this.inFlight = { candidate, stable };
    const step = this.out.step(`ramp ${s.percent}% (stable ${100 - s.percent}%)`);
    this.live = step;
    // Windows start at the next whole second: platforms count per second, and a second that began before the
    // split changed would mix the old split into the sample-ratio test.
    const started = new Date(Math.ceil(this.now().getTime() / 1000) * 1000);
    const progress: StepProgressState = { started, since: started, canaryRequests: 0, analysis: start };
    for (;;) {
      await this.sleep(this.o.config.pollIntervalSeconds * 1000, this.signal);
      const { action, verdict, elapsedSeconds } = await this.poll({ candidate, stable }, s, progress);
      this.report.analysis = analysisSummary(verdict, this.ingestion);
      for (const alert of verdict.alerts) this.alert(alert);
      if (action.action === "wait") continue;
      this.report.steps.push({
        percent: s.percent,
        seconds: Math.round(elapsedSeconds),
        canaryRequests: progress.canaryRequests,
        decision: `${action.action}: ${action.reason}`,
        tests: verdict.tests,
      });
      if (action.action === "advance") step.ok(action.reason);
      else step.fail(action.reason);
      return { analysis: progress.analysis, action };
    }
  }

  /** Prints an alert once: a Worker-wide signal no version is attributed is for a human, not a rollback. */
  private alert(text: string): void {
    if (this.alerts.has(text.split(":")[0] ?? text)) return;
    this.alerts.add(text.split(":")[0] ?? text);
    this.out.warn(`alert: ${text}`);
    this.report.decisions.push(`alert: ${text}`);
  }

  /** Reads one half-open window [since, until) and folds it into the analysis; a failed read is missing data. */
  private async poll(
    ids: { candidate: string; stable: string },
    s: ResolvedRampStep,
    p: StepProgressState,
  ): Promise<{ action: StepAction; verdict: Verdict; elapsedSeconds: number }> {
    const now = this.now();
    // Data time: read [since, now − lag) on whole seconds, so each row is read once and only once it has arrived;
    // the step's clock is that observed time, so a minimum duration means that much observed traffic.
    const until = this.dataNow(now);
    const elapsedSeconds = Math.max(0, (until.getTime() - p.started.getTime()) / 1000);
    const read =
      until.getTime() > p.since.getTime()
        ? await this.readWindow(p.since, until, p.analysis)
        : { error: `no rows yet: metrics arrive ${this.ingestion?.lagSeconds ?? 0} s late` };
    let verdict: Verdict;
    if ("error" in read) {
      verdict = { ...verdictOf(p.analysis), action: "hold", message: `metrics unavailable: ${read.error}` };
    } else {
      const c = read.metrics.find((m) => m.versionId === ids.candidate);
      const st = read.metrics.find((m) => m.versionId === ids.stable);
      const seconds = (until.getTime() - p.since.getTime()) / 1000;
      const r = analyzePoll(p.analysis, {
        canary: c,
        stable: st,
        seconds,
        percent: s.percent,
        ids: { canary: ids.candidate, stable: ids.stable },
        ...(read.extra ? { extra: read.extra } : {}),
      });
      p.analysis = r.state;
      p.since = until;
      p.canaryRequests += c?.requests ?? 0;
      verdict = r.verdict;
      this.live?.update(liveLine(s.percent, c, st, verdict.tests, elapsedSeconds, s.minDurationSeconds));
    }
    const action = decideStep({
      step: s,
      elapsedSeconds,
      canaryRequests: p.canaryRequests,
      verdict,
      noData: this.o.config.noData,
    });
    if ("error" in read) this.live?.update(`${verdict.message}; holding (${Math.round(elapsedSeconds)} s)`);
    const record = pollRecord(this.worker, now, s.percent, action, verdict, elapsedSeconds, p.canaryRequests);
    await this.recordPoll(action.action === "wait" ? { ...record, message: verdict.message } : record);
    return { action, verdict, elapsedSeconds };
  }

  private async readWindow(
    since: Date,
    until: Date,
    analysis: AnalysisState,
  ): Promise<{ metrics: VersionMetrics[]; extra: ExtraSignals | undefined } | { error: string }> {
    const w = this.o.config.watch;
    const query = { worker: this.worker, since, until, ...this.env() };
    try {
      return {
        metrics: await this.platform.metrics({ ...query, slowerThanMs: latencyBoundsNeeded(analysis) }),
        extra:
          w.queues.length + w.durableObjects.length > 0
            ? await this.platform.extraSignals({ ...query, queues: w.queues, durableObjects: w.durableObjects })
            : undefined,
      };
    } catch (err) {
      // Missing data holds the step (the window stays open for the next poll); the deadline decides if it lasts.
      return { error: (err as Error).message };
    }
  }

  private async endRamp(candidate: string, stable: string, percent: number, action: StepAction): Promise<RampResult> {
    this.printAnalysis();
    if (action.action === "rollback") {
      await this.rollBack(action.reason);
      return { outcome: "rolled-back", reason: action.reason };
    }
    return this.pause(candidate, stable, percent, action.reason);
  }
}

type RampResult = { outcome: "promoted" | "rolled-back" | "paused"; reason: string };

/** A ramp step's running state between polls. */
interface StepProgressState {
  started: Date;
  /** Start of the next window to read (the end of the last one read). */
  since: Date;
  canaryRequests: number;
  analysis: AnalysisState;
}

/** The largest batch among this Worker's consumers whose dead-letter queue is watched (undefined: the default). */
function queueBatchSize(wrangler: WranglerConfig, watched: readonly string[]): number | undefined {
  if (watched.length === 0) return undefined;
  // A watched DLQ no consumer in this config feeds may get batches of any size the platform allows.
  const sizes = watched.map((queue) => {
    const feeding = wrangler.queues.consumers.filter((c) => c.dead_letter_queue === queue);
    if (feeding.length === 0) return ANALYSIS_DEFAULTS.queueMaxBatchSize;
    return Math.max(...feeding.map((c) => c.max_batch_size ?? ANALYSIS_DEFAULTS.queueBatchSize));
  });
  return Math.max(...sizes);
}

/** The report's view of the analysis: sample ratio, the strata that carried the evidence, alerts. */
function analysisSummary(v: Verdict, ingestion: MetricsIngestion | undefined): NonNullable<ReleaseReport["analysis"]> {
  return {
    srm: v.srm.summary,
    srmStatus: v.srm.status,
    strata: v.strata,
    alerts: v.alerts,
    ...(ingestion ? { ingestion } : {}),
  };
}

/** One poll as the dashboard charts it: the verdict, the e-values against the decision line, and the numbers. */
function pollRecord(
  worker: string,
  at: Date,
  percent: number,
  action: StepAction,
  verdict: Verdict,
  elapsedSeconds: number,
  canaryRequests: number,
): AnalysisRecord {
  const test = (name: string) => verdict.tests.find((t) => t.name === name);
  const errors = test("errors");
  const latency = test("latency");
  const numbers: Record<string, number | string> = {
    percent,
    elapsedSeconds: Math.round(elapsedSeconds),
    canaryRequests,
    windowCanaryRequests: verdict.canaryRequests,
    windowStableRequests: verdict.stableRequests,
  };
  for (const t of verdict.tests) numbers[`e_${t.name}`] = Number(t.e.toPrecision(4));
  const verdictName = action.action === "wait" ? "hold" : action.action === "advance" ? "continue" : action.action;
  return {
    worker,
    t: Math.round(at.getTime() / 1000),
    verdict: verdictName,
    message: `${action.action === "wait" ? "hold" : action.action}: ${action.reason}`,
    ...(errors ? { e: errors.e, threshold: errors.threshold } : {}),
    ...(latency ? { eLatency: latency.e } : {}),
    numbers,
  };
}

/** The live line of a ramp step: split, the window's counts, each test's e-value against its threshold. */
function liveLine(
  percent: number,
  c: VersionMetrics | undefined,
  s: VersionMetrics | undefined,
  tests: TestResult[],
  elapsed: number,
  minDuration: number,
): string {
  const counts = (m: VersionMetrics | undefined) =>
    m ? `${formatPercent(errorsOf(m), m.requests)} 5xx of ${m.requests}` : "no data";
  const es = tests
    .map((t) => `${t.name} e=${t.e < 10 ? t.e.toFixed(1) : t.e.toFixed(0)}/${t.threshold.toFixed(0)}`)
    .join(" ");
  return `split ${100 - percent}/${percent} · canary ${counts(c)} · stable ${counts(s)} · ${es} · ${Math.round(elapsed)}/${minDuration} s`;
}
