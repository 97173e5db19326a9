import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { BlastwallError } from "../../core/errors.js";
import { loadWranglerConfig, type WorkerSettings, type WranglerConfig } from "../../project/wrangler-config.js";
import { TELEMETRY_COLUMNS } from "../../runtime/telemetry/layout.js";
import { keyPoint, pickByPoint } from "./split.js";
import type { VersionBindings } from "./state.js";
import { DO_ROUTES_BINDING, SIGNALS_BINDING } from "./workers.js";

/** The entry module the edge puts in front of every version (see ENTRY_SOURCE). */
export const ENTRY_MODULE = "__blastwall_entry.mjs";

/** Response header the entry sets when the Worker threw, so the router counts an exception apart from a 5xx. */
export const EXCEPTION_HEADER = "x-blastwall-exception";
/** Response header carrying the route label `blastwall/telemetry` wrote (URI-encoded); the router strips it. */
export const ROUTE_HEADER = "x-blastwall-route";

/** Where a `blastwall/telemetry` data point keeps a blob column: `blobN` is `blobs[N - 1]`. */
const blobIndex = (column: string): number => Number(column.replace("blob", "")) - 1;
const TELEMETRY_BLOBS = Object.values(TELEMETRY_COLUMNS).filter((c) => c.startsWith("blob")).length;
const STATUS_BLOB = blobIndex(TELEMETRY_COLUMNS.statusClass);
const ROUTE_BLOB = blobIndex(TELEMETRY_COLUMNS.route);

/** The entry's Durable Object routing: the split's point function shared with the router, a namespace per binding. */
const ROUTING_SOURCE = `const ROUTES = "${DO_ROUTES_BINDING}";
const SIGNALS = "${SIGNALS_BINDING}";
${keyPoint.toString()}
${pickByPoint.toString()}
function report(env, className, versionId, kind) {
  const signals = env[SIGNALS];
  if (!signals) return Promise.resolve();
  return signals
    .fetch("http://signals/durable-object", { method: "POST", body: JSON.stringify({ className, versionId, kind }) })
    .then((r) => r.body && r.body.cancel(), () => {});
}
function watched(env, stub, route, versionId) {
  return new Proxy(stub, {
    get(target, prop) {
      if (prop === "then") return undefined;
      const value = target[prop];
      if (typeof value !== "function") return value;
      const observed = async (run) => {
        try {
          const out = await run();
          if (prop === "fetch" && out && out.status === 503) await report(env, route.className, versionId, "503");
          return out;
        } catch (err) {
          await report(env, route.className, versionId, err && err.overloaded ? "overloaded" : "exception");
          throw err;
        }
      };
      // Reflect.apply: on an RPC stub, value.apply would be a remote method named "apply".
      const call = (...args) => observed(() => Reflect.apply(value, target, args));
      // \`await stub.prop\` reads a property over RPC: the stub's member is a thenable, so this one is too.
      call.then = (ok, fail) => observed(() => value).then(ok, fail);
      return call;
    },
  });
}
function namespace(env, binding, route) {
  const any = env[route.hosts[0].binding];
  const get = (id, options) => {
    const host = route.hosts.find((h) => h.versionId === pickByPoint(route.hosts, keyPoint(id.toString()))) || route.hosts[0];
    const ns = env[host.binding];
    const own = typeof id.name === "string" ? ns.idFromName(id.name) : ns.idFromString(id.toString());
    return watched(env, ns.get(own, options), route, host.versionId);
  };
  return {
    idFromName: (name) => any.idFromName(name),
    idFromString: (hex) => any.idFromString(hex),
    newUniqueId: (options) => any.newUniqueId(options),
    jurisdiction: (j) => env[binding].jurisdiction(j),
    get,
    getByName: (name, options) => get(any.idFromName(name), options),
  };
}
const routed = new WeakMap();
function routedEnv(env) {
  const routes = env && env[ROUTES];
  if (!routes || typeof routes !== "object" || Object.keys(routes).length === 0) return env;
  let out = routed.get(env);
  if (out) return out;
  out = { ...env };
  for (const [binding, route] of Object.entries(routes)) if (route.hosts.length > 0) out[binding] = namespace(env, binding, route);
  routed.set(env, out);
  return out;
}`;

/**
 * Wraps the user's module for the edge:
 * - an uncaught exception in `fetch` becomes a 500 marked with EXCEPTION_HEADER (Cloudflare answers error 1101);
 * - every handler, entrypoint and Durable Object class sees an `env` whose Durable Object bindings send each object
 *   to the version that the deployment assigns it (the object id's point in the split, as the router picks versions
 *   by key), and report errors, overloads and 503s from a stub with that version.
 * - each Analytics Engine binding becomes a recorder: a `blastwall/telemetry` data point's route label (blob4) goes
 *   back to the router in ROUTE_HEADER, so the local metrics count by route as the Cloudflare target reads them.
 * Other named exports pass through.
 */
export function entrySource(main: string, classes: readonly string[] = [], datasets: readonly string[] = []): string {
  const subclasses = classes
    .filter((c) => /^[A-Za-z_$][\w$]*$/.test(c))
    .map(
      (c) =>
        `export const ${c} = typeof user.${c} === "function" ? class extends user.${c} { constructor(ctx, env) { super(ctx, routedEnv(env)); } } : user.${c};`,
    );
  return `import * as user from "./${main}";
export * from "./${main}";
${ROUTING_SOURCE}
const inner = user.default;
const DATASETS = ${JSON.stringify(datasets)};
// A blastwall/telemetry data point (runtime/telemetry/layout.ts): its status class and route label blobs.
function recordingEnv(env, seen) {
  if (DATASETS.length === 0) return env;
  const out = { ...env };
  for (const name of DATASETS) {
    const real = env[name];
    out[name] = {
      writeDataPoint(point) {
        const b = point && point.blobs;
        if (Array.isArray(b) && b.length === ${TELEMETRY_BLOBS} && /^[1-5]xx$/.test(String(b[${STATUS_BLOB}])) && typeof b[${ROUTE_BLOB}] === "string") seen.route = b[${ROUTE_BLOB}];
        if (real && typeof real.writeDataPoint === "function") real.writeDataPoint(point);
      },
    };
  }
  return out;
}
function labelled(res, route) {
  if (!route || !(res instanceof Response) || res.status === 101 || res.webSocket) return res;
  const out = new Response(res.body, res);
  out.headers.set("${ROUTE_HEADER}", encodeURIComponent(route));
  return out;
}
function wrap(handler) {
  if (typeof handler === "function") {
    return class extends handler { constructor(ctx, env) { super(ctx, routedEnv(env)); } };
  }
  if (!handler || typeof handler !== "object") return handler;
  const out = Object.create(handler);
  for (const key of ["queue", "scheduled", "tail", "email", "trace"]) {
    if (typeof handler[key] === "function") out[key] = (event, env, ctx) => handler[key](event, routedEnv(env), ctx);
  }
  if (typeof handler.fetch !== "function") return out;
  out.fetch = async function (request, env, ctx) {
    const seen = { route: "" };
    try {
      return labelled(await handler.fetch(request, recordingEnv(routedEnv(env), seen), ctx), seen.route);
    } catch (err) {
      console.error("uncaught exception", err && err.stack ? err.stack : String(err));
      const page = new Response("Worker threw exception", { status: 500, headers: { "${EXCEPTION_HEADER}": "1" } });
      return labelled(page, seen.route);
    }
  };
  return out;
}
export default wrap(inner);
${subclasses.join("\n")}
`;
}

/** Finds the wrangler CLI: the project's own install first, then the one blastwall was installed with. */
export function resolveWrangler(projectDir: string): string {
  for (const base of [join(projectDir, "package.json"), import.meta.url]) {
    try {
      return createRequire(base).resolve("wrangler/bin/wrangler.js");
    } catch {
      // try the next place
    }
  }
  throw new BlastwallError("wrangler is not installed", {
    fix: "add it to your project: `npm install --save-dev wrangler`",
  });
}

export interface BuildVersionOptions {
  projectDir: string;
  configPath: string;
  env?: string;
  outDir: string;
}

export interface BuiltVersion {
  config: WranglerConfig;
  settings: WorkerSettings;
  /** Module file names in outDir, entry wrapper first. */
  modules: string[];
}

/** The settings of one wrangler environment (top level when env is undefined), or a usable error. */
export function settingsFor(config: WranglerConfig, env: string | undefined): WorkerSettings {
  if (env === undefined) return config;
  const section = config.env[env];
  if (!section) {
    throw new BlastwallError(`environment "${env}" is not defined`, {
      location: { file: config.path },
      fix: `add an "env.${env}" section, or pick one of: ${Object.keys(config.env).join(", ") || "(none)"}`,
    });
  }
  return { ...section, name: section.name ?? `${config.name ?? "worker"}-${env}` };
}

/**
 * Bundles a Worker with the real wrangler (`deploy --dry-run --outdir`) and adds the edge's entry wrapper.
 *
 * @example
 * const built = await buildVersion({ projectDir, configPath: "api/wrangler.jsonc", outDir: ".blastwall/local/versions/<id>" });
 */
export async function buildVersion({
  projectDir,
  configPath,
  env,
  outDir,
}: BuildVersionOptions): Promise<BuiltVersion> {
  const config = loadWranglerConfig(resolve(configPath));
  const settings = settingsFor(config, env);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const args = [resolveWrangler(projectDir), "deploy", "--dry-run", "--outdir", outDir, "-c", config.path];
  if (env) args.push("--env", env);
  await new Promise<void>((done, fail) => {
    execFile(
      process.execPath,
      args,
      {
        cwd: dirname(config.path),
        env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1" },
        timeout: 120_000,
        maxBuffer: 16 * 1024 * 1024,
      },
      (err, _stdout, stderr) => {
        if (!err) return done();
        const detail = stderr
          .split("\n")
          .filter((l) => l.trim())
          .slice(-8)
          .join("\n");
        fail(
          new BlastwallError(`wrangler could not bundle ${settings.name ?? config.path}:\n${detail}`, {
            location: { file: config.path },
            fix: "run `npx wrangler deploy --dry-run` in the Worker's folder and fix what it reports",
            cause: err,
          }),
        );
      },
    );
  });
  const files = readdirSync(outDir);
  const main = files.includes("index.js") ? "index.js" : files.find((f) => f.endsWith(".js") || f.endsWith(".mjs"));
  if (!main) {
    throw new BlastwallError(`wrangler produced no JavaScript module in ${outDir}`, {
      location: { file: config.path },
    });
  }
  const classes = settings.durable_objects.bindings.filter((b) => !b.script_name).map((b) => b.class_name);
  const datasets = settings.analytics_engine_datasets.map((d) => d.binding);
  writeFileSync(join(outDir, ENTRY_MODULE), entrySource(main, [...new Set(classes)], datasets));
  const others = files.filter((f) => f !== main && /\.(m?js|wasm|txt|html|bin)$/.test(f));
  return { config, settings, modules: [ENTRY_MODULE, main, ...others] };
}

/**
 * Local secrets, as `wrangler dev` reads them: `.dev.vars.<env>` (or `.dev.vars`) next to the config, KEY=VALUE lines,
 * `#` comments, optional quotes.
 */
export function readDevVars(configDir: string, env?: string): Record<string, string> {
  const candidates = env ? [`.dev.vars.${env}`, ".dev.vars"] : [".dev.vars"];
  const file = candidates.map((f) => join(configDir, f)).find((f) => existsSync(f));
  if (!file) return {};
  const vars: Record<string, string> = {};
  for (const line of readFileSync(file, "utf8").split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([\w.-]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m || line.trimStart().startsWith("#")) continue;
    const [, key = "", raw = ""] = m;
    vars[key] = /^(["']).*\1$/.test(raw) ? raw.slice(1, -1) : raw;
  }
  return vars;
}

/** The version annotation that keeps the last Durable Object migration tag in the config it was uploaded with. */
export const DO_MIGRATION_TAG_ANNOTATION = "blastwall/do-migration-tag";

/**
 * The annotation recording a version's last DO migration tag (none without migrations), frozen at upload, so
 * `plan` can tell which migrations the Worker in force already runs under.
 *
 * @example
 * migrationTagAnnotation(settings); // { "blastwall/do-migration-tag": "v2" }
 */
export function migrationTagAnnotation(settings: Pick<WorkerSettings, "migrations">): Record<string, string> {
  const tag = settings.migrations[settings.migrations.length - 1]?.tag;
  return typeof tag === "string" && tag.length > 0 ? { [DO_MIGRATION_TAG_ANNOTATION]: tag } : {};
}

/** Freezes a Worker's bindings for one version. Local ids fall back to names, as wrangler dev does. */
export function bindingsOf(settings: WorkerSettings, extraVars: Record<string, string> = {}): VersionBindings {
  const sqliteClasses = new Set(settings.migrations.flatMap((m) => m.new_sqlite_classes ?? []));
  return {
    vars: { ...settings.vars, ...extraVars },
    d1: settings.d1_databases.map((d) => ({
      binding: d.binding,
      id: d.database_id ?? d.database_name ?? d.binding,
      ...(d.database_name ? { name: d.database_name } : {}),
    })),
    kv: settings.kv_namespaces.map((k) => ({ binding: k.binding, id: k.id ?? k.binding })),
    r2: settings.r2_buckets.map((r) => ({ binding: r.binding, bucket: r.bucket_name ?? r.binding })),
    durableObjects: settings.durable_objects.bindings.map((b) => ({
      binding: b.name,
      className: b.class_name,
      ...(b.script_name ? { scriptName: b.script_name } : {}),
      sqlite: sqliteClasses.has(b.class_name),
    })),
    producers: settings.queues.producers.map((p) => ({
      binding: p.binding,
      queue: p.queue,
      ...(p.delivery_delay !== undefined ? { deliveryDelay: p.delivery_delay } : {}),
    })),
    consumers: settings.queues.consumers.map((c) => ({
      queue: c.queue,
      ...(c.max_batch_size !== undefined ? { maxBatchSize: c.max_batch_size } : {}),
      ...(c.max_batch_timeout !== undefined ? { maxBatchTimeout: c.max_batch_timeout } : {}),
      ...(c.max_retries !== undefined ? { maxRetries: c.max_retries } : {}),
      ...(c.retry_delay !== undefined ? { retryDelay: c.retry_delay } : {}),
      ...(c.dead_letter_queue ? { deadLetterQueue: c.dead_letter_queue } : {}),
    })),
    ...(settings.version_metadata ? { versionMetadata: settings.version_metadata.binding } : {}),
  };
}
