import { dirname, join } from "node:path";
import type { WorkerReleaseConfig } from "../project/blastwall-config.js";
import { type InferredWorker, inferSmoke } from "./infer.js";

/** One piece of code `init` asks the user to add, with where it goes. */
export interface Snippet {
  /** What it does, one line. */
  title: string;
  /** The file it goes in, relative to the project root. */
  file: string;
  /** "create" a new file with this content, or "add" it to the existing file. */
  action: "create" | "add";
  language: "ts" | "jsonc" | "toml";
  code: string;
}

/** The release settings `init` writes for one Worker: a short ramp that a first local canary can finish. */
export function releaseSettings(w: InferredWorker, all: InferredWorker[] = [w]): WorkerReleaseConfig {
  // A Worker's DLQ signal: the dead-letter queues of what it consumes, and of the queues it feeds.
  const dlqOf = new Map(all.flatMap((x) => x.consumes.map((c) => [c.queue, c.deadLetterQueue] as const)));
  const watchQueues = [
    ...new Set([...w.consumes.map((c) => c.queue), ...w.produces].flatMap((q) => dlqOf.get(q) ?? [])),
  ];
  const watch = {
    ...(watchQueues.length ? { queues: watchQueues } : {}),
    ...(w.durableObjects.length ? { durableObjects: w.durableObjects } : {}),
  };
  const shared = Object.keys(watch).length ? { watch } : {};
  if (!w.http) {
    // A consumer sees batches, not requests: few samples, and a human decides when none come.
    return {
      steps: [{ percent: 50, minDuration: "2m", minSamples: 20 }, 100],
      analysis: { minSamples: 20, latencyQuantiles: false },
      noData: { deadline: "10m", action: "pause" },
      ...shared,
    };
  }
  return {
    smoke: inferSmoke(w),
    steps: [
      { percent: 10, minDuration: "30s", minSamples: 50 },
      { percent: 50, minDuration: "30s", minSamples: 100 },
      100,
    ],
    ...shared,
  };
}

/**
 * The text of `blastwall.config.ts` for the project's Workers.
 *
 * @example
 * writeFileSync("blastwall.config.ts", renderConfig([inferWorker(cfg, root)]));
 */
export function renderConfig(workers: InferredWorker[]): string {
  const body = Object.fromEntries(workers.map((w) => [w.name, releaseSettings(w, workers)]));
  const found = workers.map((w) => `//   ${w.name} (${w.config}): ${describe(w)}`).join("\n");
  return `// Written by \`blastwall init\`. How \`blastwall release\` ships each Worker: smoke checks at 0%, then a ramp judged
// by anytime-valid tests at every poll. The ramp is short so a first local canary finishes in about a minute;
// lengthen minDuration for production traffic. Reference: docs/release.md in the blastwall package.
//
// Found:
${found}
import { defineConfig } from "blastwall/config";

export default defineConfig({
  defaults: {
    analysis: { alpha: 0.01, minSamples: 50 },
    noData: { deadline: "2m", action: "rollback" },
    pollInterval: "5s",
    soak: "30m",
  },
  workers: ${tsLiteral(body, "  ")},
});
`;
}

function describe(w: InferredWorker): string {
  const roles = [w.http ? "HTTP" : "", ...w.consumes.map((c) => `consumes ${c.queue}`)].filter(Boolean);
  const health = w.http ? (w.healthPath ? `health route ${w.healthPath}` : "no health route found") : "";
  return [...roles, health].filter(Boolean).join(", ");
}

/** A value as TypeScript source: identifier keys unquoted, short objects and arrays on one line. */
export function tsLiteral(value: unknown, pad = ""): string {
  const oneLine = (v: unknown): string => {
    if (Array.isArray(v)) return `[${v.map(oneLine).join(", ")}]`;
    if (typeof v === "object" && v !== null) {
      const entries = Object.entries(v).map(([k, x]) => `${key(k)}: ${oneLine(x)}`);
      return entries.length ? `{ ${entries.join(", ")} }` : "{}";
    }
    return JSON.stringify(v);
  };
  const flat = oneLine(value);
  if (flat.length + pad.length <= 100 || typeof value !== "object" || value === null) return flat;
  const inner = `${pad}  `;
  if (Array.isArray(value)) return `[\n${value.map((x) => `${inner}${tsLiteral(x, inner)},`).join("\n")}\n${pad}]`;
  const lines = Object.entries(value).map(([k, x]) => `${inner}${key(k)}: ${tsLiteral(x, inner)},`);
  return `{\n${lines.join("\n")}\n${pad}}`;
}

function key(k: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k);
}

/** The module `init` asks an HTTP Worker to create beside its main module. */
function protectModule(w: InferredWorker): string {
  const health = w.healthPath ?? "/healthz";
  return `// Added for blastwall: the kill switch, the ops admin API and one telemetry data point per request.
import {
  BlastwallOpsFlags,
  createFlagReader,
  defineFlags,
  durableObjectStore,
  killSwitch,
  opsAdmin,
} from "blastwall/ops";
import { withTelemetry } from "blastwall/telemetry";

export { BlastwallOpsFlags };

/** The bindings blastwall uses. Your Env extends this (wrangler config: OPS_FLAGS, BLASTWALL_TELEMETRY). */
export interface BlastwallEnv {
  OPS_FLAGS: DurableObjectNamespace<BlastwallOpsFlags>;
  /** Secret: \`wrangler secret put BLASTWALL_ADMIN_TOKEN\`. Unset, the admin API stays off. */
  BLASTWALL_ADMIN_TOKEN?: string;
  BLASTWALL_TELEMETRY?: AnalyticsEngineDataset;
  CF_VERSION_METADATA?: WorkerVersionMetadata;
}

export const OPS = defineFlags({
  disable_writes: { failMode: "open", description: "503 every write; reads and ${health} keep working" },
});

const store = (env: BlastwallEnv) => durableObjectStore(env.OPS_FLAGS);
const reader = (env: BlastwallEnv) => createFlagReader({ flags: OPS, store: store(env) });

/** Your handler behind the kill switch, with the ops admin API and request telemetry. */
export function protect<E extends BlastwallEnv>(handler: ExportedHandler<E>): ExportedHandler<E> {
  const inner = handler.fetch;
  if (!inner) return handler;
  const guard = killSwitch<E>({ reader, health: [${JSON.stringify(health)}] });
  const admin = opsAdmin<E>({ store, flags: OPS });
  return withTelemetry<E, ExportedHandler<E>>(
    {
      ...handler,
      async fetch(request, env, ctx) {
        if (admin.matches(request)) return admin.fetch(request, env);
        return (await guard.check(request, env)) ?? inner.call(handler, request, env, ctx);
      },
    },
    { worker: ${JSON.stringify(w.name)}, dataset: (env) => env.BLASTWALL_TELEMETRY, version: (env) => env.CF_VERSION_METADATA },
  );
}
`;
}

function wranglerJson(w: InferredWorker): string {
  const lines = [
    `// Merge into ${w.config}: keep your own entries; the migration step is a NEW step with a NEW tag.`,
    ...(w.hasVersionMetadata ? [] : [`"version_metadata": { "binding": "CF_VERSION_METADATA" },`]),
    `"durable_objects": { "bindings": [{ "name": "OPS_FLAGS", "class_name": "BlastwallOpsFlags" }] },`,
    `"migrations": [{ "tag": ${JSON.stringify(w.nextMigrationTag)}, "new_sqlite_classes": ["BlastwallOpsFlags"] }],`,
    `"analytics_engine_datasets": [{ "binding": "BLASTWALL_TELEMETRY", "dataset": "blastwall_telemetry" }]`,
  ];
  return lines.join("\n");
}

function wranglerToml(w: InferredWorker): string {
  return [
    `# Merge into ${w.config}: the migration step is a NEW step with a NEW tag.`,
    ...(w.hasVersionMetadata ? [] : ['version_metadata = { binding = "CF_VERSION_METADATA" }', ""]),
    "[[durable_objects.bindings]]",
    'name = "OPS_FLAGS"',
    'class_name = "BlastwallOpsFlags"',
    "",
    "[[migrations]]",
    `tag = ${JSON.stringify(w.nextMigrationTag)}`,
    'new_sqlite_classes = ["BlastwallOpsFlags"]',
    "",
    "[[analytics_engine_datasets]]",
    'binding = "BLASTWALL_TELEMETRY"',
    'dataset = "blastwall_telemetry"',
  ].join("\n");
}

/** `./blastwall` as the main module imports it. */
function moduleImport(w: InferredWorker): { file: string; specifier: string } {
  const dir = w.main ? dirname(w.main) : "src";
  return { file: join(dir, "blastwall.ts"), specifier: "./blastwall.js" };
}

function httpSnippets(w: InferredWorker): Snippet[] {
  if (!w.main) return [];
  const mod = moduleImport(w);
  const app = w.hono ? "{ fetch: app.fetch }" : "handler";
  return [
    { title: "create the blastwall module", file: mod.file, action: "create", language: "ts", code: protectModule(w) },
    {
      title: "export the flags object and wrap your handler",
      file: w.main,
      action: "add",
      language: "ts",
      code: [
        `import { protect } from "${mod.specifier}";`,
        `export { BlastwallOpsFlags } from "${mod.specifier}";`,
        "",
        `// Replace your default export with (${w.hono ? "app is your Hono app" : "handler is your ExportedHandler"}):`,
        `export default protect<Env>(${app});`,
      ].join("\n"),
    },
    {
      title: "type the bindings",
      file: w.main,
      action: "add",
      language: "ts",
      code: [
        'import type { BlastwallOpsFlags } from "blastwall/ops";',
        "",
        "interface Env {",
        "  // ...your bindings",
        "  OPS_FLAGS: DurableObjectNamespace<BlastwallOpsFlags>;",
        "  BLASTWALL_ADMIN_TOKEN?: string;",
        "  BLASTWALL_TELEMETRY?: AnalyticsEngineDataset;",
        "  CF_VERSION_METADATA?: WorkerVersionMetadata;",
        "}",
      ].join("\n"),
    },
  ];
}

function consumerSnippet(w: InferredWorker): Snippet[] {
  const first = w.consumes[0];
  if (!first || !w.main || w.usesQueues) return [];
  const retries = first.maxRetries ?? 3;
  const idempotency = w.d1Binding
    ? `d1Idempotency(env.${w.d1Binding})`
    : "kvIdempotency(env.YOUR_KV) /* or d1Idempotency / durableObjectIdempotency */";
  return [
    {
      title: `consume ${first.queue} idempotently: duplicates recognised, retries with backoff, dead letters`,
      file: w.main,
      action: "add",
      language: "ts",
      code: [
        `import { consume, ${w.d1Binding ? "d1Idempotency" : "kvIdempotency"} } from "blastwall/queues";`,
        "",
        "export default {",
        "  async queue(batch, env) {",
        "    await consume(",
        "      batch,",
        "      async (body) => {",
        "        // ...your handler. Return D1 statements to commit them with the idempotency record.",
        "      },",
        `      { idempotency: ${idempotency}, maxAttempts: ${retries + 1} }, // max_retries (${retries}) + 1`,
        "    );",
        "  },",
        "} satisfies ExportedHandler<Env>;",
      ].join("\n"),
    },
  ];
}

/**
 * The code `init` prints for one Worker: wrangler bindings, the blastwall module, the entry change, the `Env` types
 * and, for a consumer, the idempotent `queue()` handler.
 *
 * @example
 * for (const s of snippetsFor(worker)) console.log(s.file, s.code);
 */
export function snippetsFor(w: InferredWorker): Snippet[] {
  const out: Snippet[] = [];
  if (w.http && !w.hasOpsFlags) {
    out.push({
      title: "bind the ops flags object, version metadata and telemetry",
      file: w.config,
      action: "add",
      language: w.format === "toml" ? "toml" : "jsonc",
      code: w.format === "toml" ? wranglerToml(w) : wranglerJson(w),
    });
    out.push(...httpSnippets(w));
  }
  out.push(...consumerSnippet(w));
  return out;
}
