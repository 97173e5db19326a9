import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { findNodeAtLocation, type ParseError, parseTree, printParseErrorCode } from "jsonc-parser";
import { z } from "zod";
import { ANALYSIS_DEFAULTS, type LatencyQuantileName } from "../core/analysis-defaults.js";
import { type DurationText, durationSeconds, isDurationText } from "../core/duration.js";
import { BlastwallError } from "../core/errors.js";
import { nodeValue, type WranglerConfig } from "./wrangler-config.js";

/**
 * `blastwall.config.ts` (or `.json`): how `blastwall release` ships each Worker — its smoke checks, ramp steps,
 * canary analysis, no-data policy, soak time and the signals it watches. Durations are seconds, or strings such
 * as "90s", "5m", "1h".
 */

export type Duration = number | DurationText;

export interface SmokeCheck {
  /** Shown in the step list; default "METHOD path". */
  name?: string;
  /** Default GET. */
  method?: string;
  /** Path and query, e.g. "/orders?user=smoke". */
  path: string;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
  /** Default 200; a list accepts any of them. */
  expectStatus?: number | number[];
  /** The response body must contain this text, or match this /regex/. */
  bodyMatch?: string;
  /** Default 2000 ms. */
  maxLatencyMs?: number;
}

export interface RampStepConfig {
  /** Canary share, 1-100. The 0 % step (smoke checks) always comes first. */
  percent: number;
  minDuration?: Duration;
  /** Canary requests this step must see before it may advance. */
  minSamples?: number;
}

export interface WorkerReleaseConfig {
  smoke?: SmokeCheck[];
  /** Percentages or full steps; default 5 → 25 → 50 → 100. */
  steps?: (number | RampStepConfig)[];
  analysis?: {
    /** Bound on false rollbacks over the whole release; default 0.01. */
    alpha?: number;
    /** Relative increase tolerated before it counts as a regression; default 0.1 (10 %). */
    toleratedIncrease?: number;
    /**
     * Quantiles of the stable version's pre-release latency the canary is compared at (the tolerance applies on
     * the latency scale); false turns latency off. Default ["p50", "p90", "p99"].
     */
    latencyQuantiles?: LatencyQuantileName[] | false;
    /** Canary requests below which the analysis holds. Default 100. */
    minSamples?: number;
    slo?: { errorRate?: number; latencyMs?: number; latencyQuantile?: number };
  };
  /** No data holds the canary; at the deadline it is paused for a human (default) or, if you ask, rolled back. */
  noData?: { deadline?: Duration; action?: "rollback" | "pause" };
  /** Time at 100 % after which the code counts as tested (blast-window rule). Default 30 m. */
  soak?: Duration;
  /** DLQs and Durable Object classes to watch; default: the Worker's own DLQs and bound classes. */
  watch?: { queues?: string[]; durableObjects?: string[] };
  pollInterval?: Duration;
  /** Base URL for smoke checks when the platform cannot tell (e.g. a custom domain on Cloudflare). */
  baseUrl?: string;
}

export interface BlastwallConfig {
  /** Applied to every Worker, under its own settings. */
  defaults?: WorkerReleaseConfig;
  /** Keyed by the Worker's `name` in its wrangler config. */
  workers?: Record<string, WorkerReleaseConfig>;
}

/**
 * Types `blastwall.config.ts`.
 *
 * @example
 * import { defineConfig } from "blastwall/config";
 * export default defineConfig({
 *   workers: { "shop-api": { smoke: [{ path: "/healthz", bodyMatch: "ok" }], steps: [5, 25, 100] } },
 * });
 */
export function defineConfig(config: BlastwallConfig): BlastwallConfig {
  return config;
}

export interface ResolvedRampStep {
  percent: number;
  minDurationSeconds: number;
  minSamples: number;
  /** True when the config set `minSamples`; a preset minimum may be lowered to what the traffic needs. */
  minSamplesSet?: boolean;
  /** True when the config set the steps; the preset first step's share may be raised for a low-traffic Worker. */
  percentSet?: boolean;
}

export interface ResolvedSmokeCheck {
  name: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | undefined;
  expectStatus: number[];
  bodyMatch: string | undefined;
  maxLatencyMs: number;
}

export interface ResolvedWorkerConfig {
  worker: string;
  smoke: ResolvedSmokeCheck[];
  steps: ResolvedRampStep[];
  analysis: {
    alpha: number;
    toleratedIncrease: number;
    latencyQuantiles: readonly LatencyQuantileName[];
    minSamples: number;
    slo: { errorRate?: number; latencyMs?: number; latencyQuantile?: number };
  };
  noData: { deadlineSeconds: number; action: "rollback" | "pause" };
  soakSeconds: number;
  watch: { queues: string[]; durableObjects: string[] };
  pollIntervalSeconds: number;
  baseUrl: string | undefined;
}

export const CONFIG_NAMES = [
  "blastwall.config.ts",
  "blastwall.config.mts",
  "blastwall.config.mjs",
  "blastwall.config.js",
  "blastwall.config.json",
] as const;

const DEFAULT_STEPS: ResolvedRampStep[] = [
  { percent: 5, minDurationSeconds: 300, minSamples: 200 },
  { percent: 25, minDurationSeconds: 300, minSamples: 500 },
  { percent: 50, minDurationSeconds: 300, minSamples: 1000 },
  { percent: 100, minDurationSeconds: 0, minSamples: 0 },
];

const duration = z.union([z.number().nonnegative(), z.string().refine(isDurationText)]);

const smokeSchema = z.strictObject({
  name: z.string().optional(),
  method: z
    .string()
    .regex(/^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)$/i)
    .optional(),
  path: z.string().startsWith("/"),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.unknown().optional(),
  expectStatus: z
    .union([z.number().int().min(100).max(599), z.array(z.number().int().min(100).max(599)).min(1)])
    .optional(),
  bodyMatch: z.string().optional(),
  maxLatencyMs: z.number().positive().optional(),
});

const stepSchema = z.union([
  z.number().gt(0).max(100),
  z.strictObject({
    percent: z.number().gt(0).max(100),
    minDuration: duration.optional(),
    minSamples: z.number().int().nonnegative().optional(),
  }),
]);

const workerSchema = z.strictObject({
  smoke: z.array(smokeSchema).optional(),
  steps: z.array(stepSchema).min(1).optional(),
  analysis: z
    .strictObject({
      alpha: z.number().gt(0).lt(0.5).optional(),
      toleratedIncrease: z.number().nonnegative().optional(),
      latencyQuantiles: z.union([z.array(z.enum(["p50", "p90", "p99"])), z.literal(false)]).optional(),
      minSamples: z.number().int().nonnegative().optional(),
      slo: z
        .strictObject({
          errorRate: z.number().gt(0).lt(1).optional(),
          latencyMs: z.number().positive().optional(),
          latencyQuantile: z.number().gt(0).lt(1).optional(),
        })
        .optional(),
    })
    .optional(),
  noData: z
    .strictObject({ deadline: duration.optional(), action: z.enum(["rollback", "pause"]).optional() })
    .optional(),
  soak: duration.optional(),
  watch: z
    .strictObject({ queues: z.array(z.string()).optional(), durableObjects: z.array(z.string()).optional() })
    .optional(),
  pollInterval: duration.optional(),
  baseUrl: z.url().optional(),
});

const configSchema = z.strictObject({
  defaults: workerSchema.optional(),
  workers: z.record(z.string(), workerSchema).optional(),
});

/** What to do about a bad value, by the key it sits under. */
const FIXES: Record<string, string> = {
  path: 'start the path with "/", e.g. "/healthz"',
  method: "use an HTTP method such as GET or POST",
  expectStatus: "give an HTTP status (100-599) or a list of them",
  percent: "give a canary share between 1 and 100",
  steps: "list increasing percentages ending at 100, e.g. [5, 25, 50, 100]",
  alpha: "use a small probability such as 0.01 (a 1 % bound on false rollbacks)",
  toleratedIncrease: "give a relative increase such as 0.1 for 10 %",
  latencyQuantiles: 'use a list of "p50", "p90", "p99", or false',
  errorRate: "give the error-rate ceiling as a fraction, e.g. 0.01 for 1 %",
  action: 'use "rollback" or "pause"',
  baseUrl: 'give a full URL such as "https://shop.example.com"',
  minDuration: 'give seconds or a string such as "90s", "5m" or "1h"',
  deadline: 'give seconds or a string such as "90s", "5m" or "1h"',
  soak: 'give seconds or a string such as "30m"',
  pollInterval: 'give seconds or a string such as "10s"',
};

function keyPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join("");
}

/** Seconds from a number of seconds or a "90s" / "5m" / "1h" / "250ms" string (the one parser: core/duration). */
export const parseDuration: (d: Duration) => number = durationSeconds;

/**
 * Checks a config object and returns it typed. Every problem names the file, the key and the fix (exit 2).
 *
 * @example
 * validateConfig({ workers: { api: { steps: [5, 100] } } }, "blastwall.config.ts");
 */
export function validateConfig(
  value: unknown,
  file: string,
  locate?: (path: (string | number)[]) => number,
): BlastwallConfig {
  const parsed = configSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = (issue?.path ?? []).filter((p): p is string | number => typeof p !== "symbol");
    const last = [...path].reverse().find((p): p is string => typeof p === "string") ?? "";
    const unknownKey = issue?.code === "unrecognized_keys" ? issue.keys[0] : undefined;
    const where = keyPath(unknownKey ? [...path, unknownKey] : path) || "(top level)";
    throw new BlastwallError(`${where}: ${issue?.message ?? "invalid value"}`, {
      location: { file, ...(locate ? { line: locate(path) } : {}) },
      fix: unknownKey
        ? `remove "${unknownKey}" or correct its spelling; see docs/release.md for the keys`
        : (FIXES[last] ?? "see docs/release.md for the expected shape"),
    });
  }
  const config = parsed.data as BlastwallConfig;
  for (const [section, w] of sections(config)) {
    const steps = (w.steps ?? []).map((s) => (typeof s === "number" ? s : s.percent));
    for (let i = 1; i < steps.length; i++) {
      if ((steps[i] ?? 0) <= (steps[i - 1] ?? 0)) {
        throw new BlastwallError(`${section}.steps[${i}]: ramp steps must increase (${steps.join(" → ")})`, {
          location: { file, ...(locate ? { line: locate([...sectionPath(section), "steps", i]) } : {}) },
          fix: FIXES.steps,
        });
      }
    }
    if (steps.length > 0 && steps[steps.length - 1] !== 100) {
      throw new BlastwallError(`${section}.steps: the last step must be 100 (it is ${steps[steps.length - 1]})`, {
        location: { file, ...(locate ? { line: locate([...sectionPath(section), "steps"]) } : {}) },
        fix: FIXES.steps,
      });
    }
  }
  return config;
}

function sections(c: BlastwallConfig): [string, WorkerReleaseConfig][] {
  const out: [string, WorkerReleaseConfig][] = [];
  if (c.defaults) out.push(["defaults", c.defaults]);
  for (const [name, w] of Object.entries(c.workers ?? {})) out.push([`workers.${name}`, w]);
  return out;
}

function sectionPath(section: string): string[] {
  return section === "defaults" ? ["defaults"] : ["workers", section.slice("workers.".length)];
}

export interface LoadedConfig {
  /** Absolute path, or undefined when the project has no config (defaults apply). */
  file: string | undefined;
  config: BlastwallConfig;
}

/** Finds the config file of a project dir. */
export function findConfigFile(dir: string): string | undefined {
  for (const name of CONFIG_NAMES) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/**
 * Loads `blastwall.config.ts` (bundled with esbuild to a temporary .mjs, then imported) or
 * `blastwall.config.json`. A project without one gets the defaults.
 *
 * @example
 * const { config } = await loadBlastwallConfig("examples/shop");
 */
export async function loadBlastwallConfig(dir: string): Promise<LoadedConfig> {
  const file = findConfigFile(dir);
  if (!file) return { file: undefined, config: {} };
  if (file.endsWith(".json")) return { file, config: loadJson(file) };
  const value = await importModuleConfig(file);
  return { file, config: validateConfig(value, file) };
}

function loadJson(file: string): BlastwallConfig {
  const text = readFileSync(file, "utf8");
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { allowTrailingComma: true });
  const lineAt = (offset: number) => text.slice(0, offset).split("\n").length;
  const first = errors[0];
  if (first || !tree) {
    throw new BlastwallError(`invalid JSON: ${first ? printParseErrorCode(first.error) : "empty file"}`, {
      location: { file, line: first ? lineAt(first.offset) : 1 },
      fix: "correct the syntax at that position",
    });
  }
  const value = nodeValue(tree);
  return validateConfig(value, file, (path) => {
    for (let n = path.length; n >= 0; n--) {
      const node = findNodeAtLocation(tree, path.slice(0, n));
      if (node) return lineAt(node.offset);
    }
    return 1;
  });
}

async function importModuleConfig(file: string): Promise<unknown> {
  const { build } = await import("esbuild");
  let code: string;
  try {
    const result = await build({
      entryPoints: [file],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      write: false,
      logLevel: "silent",
      plugins: [
        {
          // `defineConfig` only types the object, so the config never needs blastwall itself at load time.
          name: "blastwall-config",
          setup(b) {
            b.onResolve({ filter: /^blastwall(\/config)?$/ }, (a) => ({ path: a.path, namespace: "blastwall" }));
            b.onLoad({ filter: /.*/, namespace: "blastwall" }, () => ({
              contents: "export const defineConfig = (c) => c;",
              loader: "js",
            }));
          },
        },
      ],
    });
    code = result.outputFiles[0]?.text ?? "";
  } catch (err) {
    const first = (err as { errors?: { text: string; location?: { line: number; column: number } }[] }).errors?.[0];
    throw new BlastwallError(`cannot bundle the config: ${first?.text ?? (err as Error).message}`, {
      location: { file, line: first?.location?.line, column: first?.location?.column },
      fix: "correct the TypeScript at that position; the file must `export default defineConfig({...})`",
    });
  }
  const dir = mkdtempSync(join(tmpdir(), "blastwall-config-"));
  const out = join(dir, "blastwall.config.mjs");
  try {
    writeFileSync(out, code);
    const mod = (await import(pathToFileURL(out).href)) as { default?: unknown };
    if (mod.default === undefined) {
      throw new BlastwallError("the config has no default export", {
        location: { file },
        fix: "end the file with `export default defineConfig({ workers: { ... } })`",
      });
    }
    return mod.default;
  } catch (err) {
    if (err instanceof BlastwallError) throw err;
    throw new BlastwallError(`the config threw while loading: ${(err as Error).message}`, {
      location: { file },
      fix: "the config runs once at load time; make it a plain object without side effects",
      cause: err,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function resolveSteps(steps: WorkerReleaseConfig["steps"]): ResolvedRampStep[] {
  if (!steps) return DEFAULT_STEPS.map((s) => ({ ...s }));
  return steps.map((s) => {
    const step = typeof s === "number" ? { percent: s } : s;
    const preset = DEFAULT_STEPS.find((d) => d.percent === step.percent);
    const last = step.percent === 100;
    return {
      percent: step.percent,
      minDurationSeconds:
        step.minDuration !== undefined
          ? parseDuration(step.minDuration)
          : last
            ? 0
            : (preset?.minDurationSeconds ?? 300),
      minSamples: step.minSamples ?? (last ? 0 : (preset?.minSamples ?? 500)),
      ...(step.minSamples !== undefined ? { minSamplesSet: true } : {}),
      percentSet: true,
    };
  });
}

function resolveSmoke(c: SmokeCheck): ResolvedSmokeCheck {
  const method = (c.method ?? "GET").toUpperCase();
  const status = c.expectStatus ?? 200;
  return {
    name: c.name ?? `${method} ${c.path}`,
    method,
    path: c.path,
    headers: c.headers ?? {},
    body: c.body === undefined ? undefined : typeof c.body === "string" ? c.body : JSON.stringify(c.body),
    expectStatus: Array.isArray(status) ? status : [status],
    bodyMatch: c.bodyMatch,
    maxLatencyMs: c.maxLatencyMs ?? 2000,
  };
}

/**
 * One Worker's settings: its own section over `defaults` over blastwall's defaults. What to watch defaults to
 * the Worker's own dead-letter queues and bound Durable Object classes, read from its wrangler config.
 */
export function resolveWorkerConfig(
  config: BlastwallConfig,
  worker: string,
  wrangler?: WranglerConfig,
): ResolvedWorkerConfig {
  const d = config.defaults ?? {};
  const w = config.workers?.[worker] ?? {};
  const pick = <K extends keyof WorkerReleaseConfig>(k: K): WorkerReleaseConfig[K] => w[k] ?? d[k];
  const analysis = { ...d.analysis, ...w.analysis };
  const noData = { ...d.noData, ...w.noData };
  const watch = pick("watch");
  const ownDlqs = (wrangler?.queues.consumers ?? []).flatMap((c) => (c.dead_letter_queue ? [c.dead_letter_queue] : []));
  const ownClasses = (wrangler?.durable_objects.bindings ?? []).filter((b) => !b.script_name).map((b) => b.class_name);
  return {
    worker,
    smoke: (pick("smoke") ?? []).map(resolveSmoke),
    steps: resolveSteps(pick("steps")),
    analysis: {
      alpha: analysis.alpha ?? ANALYSIS_DEFAULTS.alpha,
      toleratedIncrease: analysis.toleratedIncrease ?? ANALYSIS_DEFAULTS.toleratedIncrease,
      latencyQuantiles:
        analysis.latencyQuantiles === false ? [] : (analysis.latencyQuantiles ?? ANALYSIS_DEFAULTS.latencyQuantiles),
      minSamples: analysis.minSamples ?? ANALYSIS_DEFAULTS.minSamples,
      slo: { ...d.analysis?.slo, ...w.analysis?.slo },
    },
    noData: {
      deadlineSeconds:
        noData.deadline !== undefined ? parseDuration(noData.deadline) : ANALYSIS_DEFAULTS.noDataDeadlineSeconds,
      action: noData.action ?? ANALYSIS_DEFAULTS.noDataAction,
    },
    soakSeconds: parseDuration(pick("soak") ?? "30m"),
    watch: {
      queues: watch?.queues ?? [...new Set(ownDlqs)],
      durableObjects: watch?.durableObjects ?? [...new Set(ownClasses)],
    },
    pollIntervalSeconds: Math.max(1, parseDuration(pick("pollInterval") ?? 10)),
    baseUrl: pick("baseUrl"),
  };
}

/** Fails (exit 2) when the config names a Worker the project does not have. */
export function checkWorkerNames(loaded: LoadedConfig, known: readonly string[]): void {
  for (const name of Object.keys(loaded.config.workers ?? {})) {
    if (!known.includes(name)) {
      throw new BlastwallError(`workers.${name}: no Worker of that name in this project`, {
        location: { file: loaded.file ?? "blastwall.config.ts" },
        fix: `use a Worker name from its wrangler config: ${known.join(", ") || "(none found)"}`,
      });
    }
  }
}
