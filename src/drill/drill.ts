import { BlastwallError } from "../core/errors.js";
import type { Progress } from "../core/progress.js";
import { loadProject, type Project } from "../project/discover.js";
import { workerKinds } from "../project/handlers.js";
import type { WranglerConfig } from "../project/wrangler-config.js";
import { buildRunbook, type IncidentId, type Runbook, type RunbookIncident } from "../runbook/index.js";
import { createSandbox, type DrillCli, type DrillSandbox } from "./sandbox.js";

export type StepKind = "setup" | "fault" | "runbook" | "verify";

export interface DrillStep {
  kind: StepKind;
  name: string;
  /** The runbook command, as argv (runbook steps only). */
  argv?: string[];
  ms: number;
  ok: boolean;
  detail?: string;
}

export interface DrillCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface DrillReport {
  scenario: string;
  incident: IncidentId;
  /** The project drilled (a throwaway copy of it ran the drill). */
  project: string;
  /** True when every runbook command succeeded and every check after them passed. */
  restored: boolean;
  /** From the start of the first runbook command until the checks first passed, in ms. */
  ttrMs?: number;
  /** The fault was real: checks that failed before the runbook ran. */
  broken: DrillCheck[];
  /** Checks after the runbook: real requests and queue states. */
  checks: DrillCheck[];
  steps: DrillStep[];
  /** Every runbook command the drill ran, in order (argv without `blastwall`). */
  commands: string[][];
  totalMs: number;
}

export interface DrillContext {
  box: DrillSandbox;
  /** The runbook of the sandbox as it is now (built afresh, so a migration a scenario added is named in it). */
  runbook(): Runbook;
  /** The project's Workers by what they do, read from their code and configs; one Worker may be both. */
  httpWorker: WranglerConfig & { name: string };
  consumerWorker?: WranglerConfig & { name: string };
  /** The router's base URL. */
  base(): string;
  /** Times `fn` as a step of this drill. */
  step<T>(kind: Exclude<StepKind, "runbook">, name: string, fn: () => Promise<T>): Promise<T>;
  /** Records that the fault shows: a check that must fail before the runbook runs. */
  expectBroken(name: string, probe: () => Promise<{ ok: boolean; detail: string }>): Promise<void>;
  /** Runs every command step of the incident, in order, through the CLI; returns what each printed. */
  runIncident(incident: RunbookIncident): Promise<{ argv: string[]; output: string }[]>;
  /** Polls the checks until all pass (or the timeout); the first pass ends the time to recovery. */
  verify(checks: Record<string, () => Promise<{ ok: boolean; detail: string }>>, timeoutMs?: number): Promise<void>;
  /** Runs a CLI command (not a runbook step) as a timed setup or fault step; throws when it fails. */
  cli(kind: Exclude<StepKind, "runbook">, name: string, argv: string[]): Promise<string>;
  /** Uploads a version and deploys it at 100% (setup and faults). Returns its id. */
  ship(worker: string, configPath: string, tag: string): Promise<string>;
}

export interface Scenario {
  name: string;
  incident: IncidentId;
  summary: string;
  run(ctx: DrillContext): Promise<void>;
}

export type { DrillCli };

export interface DrillOptions {
  projectDir: string;
  /** The CLI the runbook's commands run through. */
  cli: DrillCli;
  /** Where each timed step is shown as it ends (the CLI passes its console output). */
  progress?: Progress;
  /** Keep the sandbox copy after the drill. */
  keep?: boolean;
  /** Ctrl-C: the drill stops at the next step and still stops its edge and deletes its copy. */
  signal?: AbortSignal;
}

function named(c: WranglerConfig): WranglerConfig & { name: string } {
  return { ...c, name: c.name ?? "" };
}

/**
 * The Workers a drill sends traffic to and breaks the consumer of. A Worker with fetch() and queue() is both.
 *
 * @example
 * drillWorkers(loadProject("examples/shop")); // { http: shop-api's config, consumer: shop-consumer's config }
 */
export function drillWorkers(project: Project): { http: WranglerConfig; consumer?: WranglerConfig } {
  const http = project.workers.find((w) => workerKinds(w).includes("http"));
  if (!http) {
    throw new BlastwallError(`no HTTP Worker under ${project.root}: the drills need one`, {
      fix: "drill a project with a Worker whose default export has fetch()",
    });
  }
  const consumer = project.workers.find((w) => w.queues.consumers.length > 0);
  return consumer ? { http, consumer } : { http };
}

/**
 * Runs a drill: a throwaway copy of the project gets its own local edge, the scenario ships a fault, checks that
 * it hurts, then runs the generated runbook's commands (`--target local`) through the CLI and checks, with real
 * requests, that service came back. Every step is timed.
 *
 * @example
 * const report = await runDrill(SCENARIOS["bad-version"], { projectDir: "examples/shop", cli: ctx.invoke });
 * console.log(report.restored, report.ttrMs);
 */
export async function runDrill(scenario: Scenario, options: DrillOptions): Promise<DrillReport> {
  const { projectDir, keep = false } = options;
  const started = Date.now();
  const { http, consumer } = drillWorkers(loadProject(projectDir));
  const rec = new DrillRecord(options.progress);
  const box = await createSandbox(projectDir, scenario.name, { cli: options.cli, keep });
  try {
    // Built from the copy, so a scenario that adds a file (a bad migration) sees it named in the runbook.
    const copy = loadProject(box.dir);
    const inCopy = (c: WranglerConfig) => named(copy.workers.find((w) => w.name === c.name) ?? c);
    await scenario.run(drillContext(box, rec, options, inCopy(http), consumer && inCopy(consumer)));
  } catch (err) {
    rec.abort((err as Error).message);
  } finally {
    await box.teardown();
  }
  return rec.report(scenario, projectDir, Date.now() - started);
}

/** What a drill has seen so far: its steps, the fault's checks, the checks after the runbook, and its timings. */
class DrillRecord {
  readonly steps: DrillStep[] = [];
  readonly broken: DrillCheck[] = [];
  readonly checks: DrillCheck[] = [];
  readonly commands: string[][] = [];
  /** When the first runbook command started. */
  t0: number | undefined;
  ttrMs: number | undefined;
  failed = false;

  constructor(private readonly progress: Progress | undefined) {}

  /** Starts a timed step (shown live); the returned function ends and records it. */
  begin(kind: StepKind, name: string, argv?: string[]): (end: { ok: boolean; detail?: string }) => void {
    const t = Date.now();
    const live = this.progress?.step(`${kind.padEnd(7)} ${argv ? `blastwall ${argv.join(" ")}` : name}`);
    return ({ ok, detail }) => {
      const ms = Date.now() - t;
      this.steps.push({ kind, name, ...(argv ? { argv } : {}), ms, ok, ...(detail !== undefined ? { detail } : {}) });
      const took = `${(ms / 1000).toFixed(1)} s`;
      if (ok) live?.ok(took);
      else live?.fail(detail ? `${took}\n${detail}` : took);
    };
  }

  abort(detail: string): void {
    this.failed = true;
    if (!this.steps.some((s) => !s.ok)) this.begin("setup", "drill aborted")({ ok: false, detail });
  }

  report(scenario: Scenario, project: string, totalMs: number): DrillReport {
    const { checks, ttrMs } = this;
    const restored = !this.failed && checks.length > 0 && checks.every((c) => c.ok) && ttrMs !== undefined;
    return {
      scenario: scenario.name,
      incident: scenario.incident,
      project,
      restored,
      ...(restored && ttrMs !== undefined ? { ttrMs } : {}),
      broken: this.broken,
      checks,
      steps: this.steps,
      commands: this.commands,
      totalMs,
    };
  }
}

type Probe = () => Promise<{ ok: boolean; detail: string }>;

function drillContext(
  box: DrillSandbox,
  rec: DrillRecord,
  { cli: runCli, signal }: DrillOptions,
  httpWorker: WranglerConfig & { name: string },
  consumerWorker: (WranglerConfig & { name: string }) | undefined,
): DrillContext {
  const ctx: DrillContext = {
    box,
    runbook: () => buildRunbook(loadProject(box.dir), { target: "local" }),
    httpWorker,
    ...(consumerWorker ? { consumerWorker } : {}),
    base: () => box.platform.routerUrl(),
    step: (kind, name, fn) => timedStep(rec, signal, kind, name, fn),
    expectBroken: (name, probe) => expectBroken(rec, name, probe),
    runIncident: (incident) => runIncident(rec, runCli, box.dir, incident, signal),
    verify: (probes, timeoutMs = 60_000) => verify(rec, probes, timeoutMs, signal),
    cli: (kind, name, argv) =>
      ctx.step(kind, name, async () => {
        const r = await runCli(argv, box.dir);
        if (r.code !== 0) throw new Error(`blastwall ${argv.join(" ")} exited ${r.code}: ${r.output}`);
        return r.output;
      }),
    async ship(worker, configPath, tag) {
      const v = await box.platform.uploadVersion({ worker, configPath, tag });
      await box.platform.deploy(worker, [{ versionId: v.id, percentage: 100 }], { message: `drill: ${tag}` });
      return v.id;
    },
  };
  return ctx;
}

async function timedStep<T>(
  rec: DrillRecord,
  signal: AbortSignal | undefined,
  kind: Exclude<StepKind, "runbook">,
  name: string,
  fn: () => Promise<T>,
): Promise<T> {
  signal?.throwIfAborted();
  const end = rec.begin(kind, name);
  try {
    const v = await fn();
    end({ ok: true });
    return v;
  } catch (err) {
    end({ ok: false, detail: (err as Error).message });
    throw err;
  }
}

async function expectBroken(rec: DrillRecord, name: string, probe: Probe): Promise<void> {
  const end = rec.begin("fault", `fault shows: ${name}`);
  const r = await probe();
  rec.broken.push({ name, ok: !r.ok, detail: r.detail });
  end({ ok: !r.ok, detail: r.detail });
  if (r.ok) throw new Error(`the fault did not show (${name}: ${r.detail}); the drill proves nothing`);
}

/** Runs every command step of the incident, in order; the first one starts the time to recovery. */
async function runIncident(
  rec: DrillRecord,
  runCli: DrillCli,
  cwd: string,
  incident: RunbookIncident,
  signal: AbortSignal | undefined,
): Promise<{ argv: string[]; output: string }[]> {
  const outputs: { argv: string[]; output: string }[] = [];
  for (const s of incident.steps) {
    if (!s.argv) continue;
    signal?.throwIfAborted();
    rec.t0 ??= Date.now();
    const end = rec.begin("runbook", s.title, s.argv);
    const r = await runCli(s.argv, cwd);
    rec.commands.push(s.argv);
    outputs.push({ argv: s.argv, output: r.output });
    const ok = r.code === 0;
    end({ ok, detail: r.output.slice(0, 400) });
    if (!ok) {
      rec.failed = true;
      throw new Error(`runbook step failed: blastwall ${s.argv.join(" ")} exited ${r.code}\n${r.output}`);
    }
  }
  return outputs;
}

/** Polls the probes until all pass or the timeout; the first pass after the runbook ends the time to recovery. */
async function verify(
  rec: DrillRecord,
  probes: Record<string, Probe>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  const end = rec.begin("verify", Object.keys(probes).join(", "));
  const deadline = Date.now() + timeoutMs;
  let last: DrillCheck[] = [];
  for (;;) {
    last = [];
    for (const [name, probe] of Object.entries(probes)) {
      const r = await probe().catch((err: unknown) => ({ ok: false, detail: (err as Error).message }));
      last.push({ name, ...r });
    }
    if (last.every((c) => c.ok) || Date.now() > deadline || signal?.aborted) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  rec.checks.push(...last);
  const ok = last.every((c) => c.ok);
  if (ok && rec.t0 !== undefined && rec.ttrMs === undefined) rec.ttrMs = Date.now() - rec.t0;
  if (!ok) rec.failed = true;
  end({ ok, detail: last.map((c) => `${c.ok ? "ok" : "FAIL"} ${c.name}: ${c.detail}`).join("; ") });
}

/** The runbook section a scenario drills, found by incident and subject. */
export function incidentFor(runbook: Runbook, id: IncidentId, subject?: string): RunbookIncident {
  const hit = runbook.incidents.find((i) => i.id === id && (subject === undefined || i.subject === subject));
  if (!hit) {
    throw new BlastwallError(`the runbook has no ${id} section${subject ? ` for ${subject}` : ""}`, {
      fix: "run `blastwall runbook` to see which incidents apply to this project",
    });
  }
  return hit;
}
