import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Finding } from "../check/findings.js";
import { BlastwallError } from "../core/errors.js";
import type { Progress, ProgressStep } from "../core/progress.js";
import type { AnalysisRecord, ExtraSignals, Platform, SplitEntry, VersionMetrics } from "../platform/platform.js";
import type { ResolvedWorkerConfig } from "../project/blastwall-config.js";
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
import { decideBlastWindow, type ScheduledMigration } from "./blast-window.js";
import { type CheckGateResult, checkGate, type DryRunResult, dryRunGate, withVars } from "./gates.js";
import { gatherPlan, workerName } from "./plan.js";
import type { Outcome, ReleaseReport, ReleaseReportRenderer } from "./report.js";
import { runSmokeCheck } from "./smoke.js";
import {
  bundleOf,
  decideStep,
  formatMark,
  formatVersionMessage,
  newReleaseId,
  type Phase,
  resumeStepIndex,
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

export interface ReleaseDeps {
  platform: Platform;
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

/** Exit code of a finished release: 0 when the Worker ends where the user wanted it. */
export function exitCodeOf(outcome: Outcome): 0 | 1 {
  return outcome === "promoted" || outcome === "up-to-date" || outcome === "migrated" ? 0 : 1;
}

/**
 * Runs one release of one Worker to the end and returns its report.
 *
 * @example
 * const report = await runRelease({ projectDir, wrangler, config }, { platform, out });
 * process.exitCode = exitCodeOf(report.outcome);
 */
export async function runRelease(options: RunReleaseOptions, deps: ReleaseDeps): Promise<ReleaseReport> {
  const r = new ReleaseRun(options, deps);
  return r.run();
}

class ReleaseRun {
  private readonly platform: Platform;
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
            platform: this.platform,
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

  private async main(): Promise<ReleaseReport> {
    const { o, platform, out } = this;
    const env = o.env ? { env: o.env } : {};

    // 1. Gates.
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
      ...env,
      ...(this.signal ? { signal: this.signal } : {}),
    });
    const dry = { ...built, bundleHash: withVars(built.bundleHash, o.vars) };
    this.report.bundle = dry.bundleHash.slice(0, 16);
    this.report.gates.dryRun = `bundle ${dry.bundleHash.slice(0, 16)}, ${(dry.bytes / 1024).toFixed(1)} KiB`;
    step.ok(this.report.gates.dryRun);
    this.checkAbort();

    // 2. State from the platform, and the blast window.
    const plan = await gatherPlan({
      platform,
      projectDir: o.projectDir,
      wrangler: o.wrangler,
      config: o.config,
      bundleHash: dry.bundleHash,
      ...env,
    });
    const start = plan.start;
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
    } else {
      this.report.release = newReleaseId(this.now());
      if (start.kind === "abandon") {
        this.inFlight = { candidate: start.candidate, stable: start.stable };
        await this.rollBack(start.reason);
      }
    }
    const bw = decideBlastWindow({
      worker: this.worker,
      code: plan.code,
      d1: plan.d1,
      durableObjects: plan.durableObjects,
      inForceAt100Seconds: plan.inForce?.at100Seconds,
      soakSeconds: o.config.soakSeconds,
      ...(this.report.override !== undefined ? { override: this.report.override } : {}),
    });
    this.report.blastWindow = bw;
    step = out.step("blast window");
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

    // 3. Migrations the rule allows before the code, each after a restore point.
    await this.migrate(bw.migrations.filter((m) => m.when === "before-code"));

    if (start.kind === "up-to-date") {
      const migrated = this.report.migrations.length > 0;
      return await this.finish(
        migrated ? "migrated" : "up-to-date",
        `${start.version.slice(0, 8)} already serves 100% with bundle ${this.report.bundle.slice(0, 8)}${migrated ? `; applied ${this.report.migrations.length} migrations` : ""}`,
      );
    }

    // 4. Candidate: reuse a version already uploaded with this bundle (a killed run), else upload.
    let candidate: string;
    let stable: string | undefined;
    let fromStep = 0;
    let runSmoke = true;
    if (start.kind === "resume") {
      candidate = start.candidate;
      stable = start.stable;
      fromStep = resumeStepIndex(o.config.steps, start.percent);
      runSmoke = start.phase === "smoke";
    } else {
      stable = start.kind === "fresh" || start.kind === "abandon" ? start.stable : undefined;
      step = out.step("upload candidate");
      this.live = step;
      const versions = await platform.listVersions(this.worker, o.env);
      const existing = versions.find((v) => v.id !== stable && sameBundle(bundleOf(v), dry.bundleHash));
      if (existing) {
        candidate = existing.id;
        step.ok(`reusing ${existing.id.slice(0, 8)}, already uploaded with bundle ${this.report.bundle.slice(0, 8)}`);
      } else {
        const v = await platform.uploadVersion({
          worker: this.worker,
          configPath: o.wrangler.path,
          message: formatVersionMessage(this.report.release, dry.bundleHash),
          tag: this.report.release,
          ...(o.vars && Object.keys(o.vars).length > 0 ? { vars: o.vars } : {}),
          ...env,
        });
        candidate = v.id;
        step.ok(`version ${v.id.slice(0, 8)}`);
      }
      this.checkAbort();
    }
    this.report.candidate = candidate;
    this.report.stable = stable;

    if (!stable) {
      // First deployment: there is nothing to compare a canary with, or to roll back to.
      await this.deploySplit(candidate, candidate, 100, "promoted");
      this.decide(
        `first deployment of ${this.worker}: ${candidate.slice(0, 8)} at 100% (no stable version to compare with)`,
      );
      const smoke = await this.smoke(candidate);
      if (!smoke)
        return await this.finish(
          "failed",
          "smoke checks failed on the first deployment; there is no version to roll back to",
        );
      await this.migrate(bw.migrations.filter((m) => m.when === "after-promotion"));
      return await this.finish("promoted", `first deployment: ${candidate.slice(0, 8)} serves 100%`);
    }

    // 5. Deploy at 0 % and smoke-test through the version-override header.
    if (runSmoke) {
      await this.deploySplit(candidate, stable, 0, "smoke");
      this.inFlight = { candidate, stable };
      this.decide(`deployed ${candidate.slice(0, 8)} at 0% next to ${stable.slice(0, 8)} at 100%`);
      const ok = await this.smoke(candidate);
      if (!ok) {
        const failed = this.report.smoke.filter((s) => !s.ok);
        const reason = `smoke check failed: ${failed.map((s) => `${s.name}: ${s.detail}`).join("; ")}`;
        await this.rollBack(reason);
        return await this.finish("rolled-back", `${reason}; the candidate never received traffic`);
      }
    }

    // 6. Ramp, with the analysis at every poll.
    const ramp = await this.ramp(candidate, stable, fromStep);
    if (ramp.outcome !== "promoted") return await this.finish(ramp.outcome, ramp.reason);

    // 7. Promote, then any irreversible migrations an override deferred until after the code.
    await this.deploySplit(candidate, stable, 100, "promoted");
    this.inFlight = undefined;
    this.decide(`promoted ${candidate.slice(0, 8)} to 100%`);
    await this.migrate(bw.migrations.filter((m) => m.when === "after-promotion"));
    return await this.finish("promoted", `${candidate.slice(0, 8)} serves 100%; ${ramp.reason}`);
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
    const baseUrl = this.o.config.baseUrl ?? (await this.platform.workerUrl?.(this.worker, this.o.env));
    if (!baseUrl) {
      throw new BlastwallError(`no URL to send smoke checks to for ${this.worker} on ${this.platform.target}`, {
        location: { file: "blastwall.config.ts" },
        fix: `set workers["${this.worker}"].baseUrl, e.g. "https://${this.worker}.example.workers.dev"`,
      });
    }
    let ok = true;
    for (const check of checks) {
      this.checkAbort();
      const step = this.out.step(`smoke: ${check.name}`);
      this.live = step;
      const r = await runSmokeCheck(check, {
        baseUrl,
        worker: this.worker,
        versionId: candidate,
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

  /** The watched signals' rates over the 10 minutes before the ramp, the null for the DLQ and DO tests. */
  private async baseline(): Promise<{ dlqPerSecond: number; durableObjectErrorsPerSecond: number }> {
    const w = this.o.config.watch;
    if (w.queues.length === 0 && w.durableObjects.length === 0)
      return { dlqPerSecond: 0, durableObjectErrorsPerSecond: 0 };
    const until = this.now();
    const seconds = 600;
    const since = new Date(until.getTime() - seconds * 1000);
    const s = await this.platform.extraSignals({
      worker: this.worker,
      since,
      until,
      queues: w.queues,
      durableObjects: w.durableObjects,
      ...(this.o.env ? { env: this.o.env } : {}),
    });
    const sum = (r: Record<string, number>, keys: string[]) => keys.reduce((a, k) => a + (r[k] ?? 0), 0);
    return {
      dlqPerSecond: sum(s.dlqMessages, w.queues) / seconds,
      durableObjectErrorsPerSecond: sum(s.durableObjectErrors, w.durableObjects) / seconds,
    };
  }

  private async ramp(
    candidate: string,
    stable: string,
    fromStep: number,
  ): Promise<{ outcome: "promoted" | "rolled-back" | "paused"; reason: string }> {
    const { config } = this.o;
    const w = config.watch;
    let analysis: AnalysisState = createAnalysis({
      alpha: config.analysis.alpha,
      toleratedIncrease: config.analysis.toleratedIncrease,
      latencyQuantile: config.analysis.latencyQuantile,
      minSamples: config.analysis.minSamples,
      slo: config.analysis.slo,
      watch: w,
      baseline: await this.baseline(),
    });
    let last = "no ramp steps below 100%";
    for (let i = fromStep; i < config.steps.length; i++) {
      const s = config.steps[i];
      if (!s || s.percent >= 100) break;
      await this.deploySplit(candidate, stable, s.percent, "ramp");
      this.inFlight = { candidate, stable };
      const step = this.out.step(`ramp ${s.percent}% (stable ${100 - s.percent}%)`);
      this.live = step;
      const stepStart = this.now();
      let lastPoll = stepStart;
      let canaryRequests = 0;
      for (;;) {
        await this.sleep(config.pollIntervalSeconds * 1000, this.signal);
        const until = this.now();
        const query = { worker: this.worker, since: lastPoll, until, ...(this.o.env ? { env: this.o.env } : {}) };
        const elapsedSeconds = (until.getTime() - stepStart.getTime()) / 1000;
        let read: { metrics: VersionMetrics[]; extra: ExtraSignals | undefined };
        try {
          read = {
            metrics: await this.platform.metrics({ ...query, slowerThanMs: latencyBoundsNeeded(analysis) }),
            extra:
              w.queues.length + w.durableObjects.length > 0
                ? await this.platform.extraSignals({ ...query, queues: w.queues, durableObjects: w.durableObjects })
                : undefined,
          };
        } catch (err) {
          // A failed read is missing data: hold, keep the window open for the next poll, and let the progress
          // deadline decide if it lasts.
          const held = {
            ...verdictOf(analysis),
            action: "hold" as const,
            message: `metrics unavailable: ${(err as Error).message}`,
          };
          const action = decideStep({ step: s, elapsedSeconds, canaryRequests, verdict: held, noData: config.noData });
          step.update(`${held.message}; holding (${Math.round(elapsedSeconds)} s)`);
          await this.recordPoll(
            pollRecord(this.worker, until, s.percent, action, held, elapsedSeconds, canaryRequests),
          );
          if (action.action === "wait") continue;
          step.fail(action.reason);
          if (action.action === "rollback") {
            await this.rollBack(action.reason);
            return { outcome: "rolled-back", reason: action.reason };
          }
          return this.pause(candidate, stable, s.percent, action.reason);
        }
        const seconds = (until.getTime() - lastPoll.getTime()) / 1000;
        lastPoll = until;
        const c = read.metrics.find((m) => m.versionId === candidate);
        const st = read.metrics.find((m) => m.versionId === stable);
        const r = analyzePoll(analysis, {
          canary: c,
          stable: st,
          seconds,
          ...(read.extra ? { extra: read.extra } : {}),
        });
        analysis = r.state;
        canaryRequests += c?.requests ?? 0;
        const action = decideStep({
          step: s,
          elapsedSeconds,
          canaryRequests,
          verdict: r.verdict,
          noData: config.noData,
        });
        const line = liveLine(s.percent, c, st, r.verdict.tests, elapsedSeconds, s.minDurationSeconds);
        step.update(line);
        await this.recordPoll({
          ...pollRecord(this.worker, until, s.percent, action, r.verdict, elapsedSeconds, canaryRequests),
          message: action.action === "wait" ? line : `${action.action}: ${action.reason}`,
        });
        if (action.action === "wait") continue;
        this.report.steps.push({
          percent: s.percent,
          seconds: Math.round(elapsedSeconds),
          canaryRequests,
          decision: `${action.action}: ${action.reason}`,
          tests: r.verdict.tests,
        });
        if (action.action === "advance") {
          step.ok(action.reason);
          last = action.reason;
          break;
        }
        step.fail(action.reason);
        if (action.action === "rollback") {
          await this.rollBack(action.reason);
          return { outcome: "rolled-back", reason: action.reason };
        }
        return this.pause(candidate, stable, s.percent, action.reason);
      }
    }
    return { outcome: "promoted", reason: last };
  }
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
