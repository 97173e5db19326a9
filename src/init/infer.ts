import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import type { SmokeCheck } from "../project/blastwall-config.js";
import type { WranglerConfig } from "../project/wrangler-config.js";

/** What `blastwall init` learned about one Worker of the project. */
export interface InferredWorker {
  name: string;
  /** The wrangler config, relative to the project root. */
  config: string;
  format: WranglerConfig["format"];
  /** The main module, relative to the project root, when the config names one. */
  main?: string;
  /** It answers HTTP (`fetch`); a Worker can be both. */
  http: boolean;
  /** Queues it sends to. */
  produces: string[];
  /** It already consumes through blastwall/queues. */
  usesQueues: boolean;
  /** Queues it consumes, with their dead-letter queues. */
  consumes: { queue: string; deadLetterQueue?: string; maxRetries?: number }[];
  /** The health route found in its code, e.g. "/healthz". */
  healthPath?: string;
  /** It builds its routes with Hono (imports "hono"). */
  hono: boolean;
  /** Durable Object classes it binds (its own, not blastwall's). */
  durableObjects: string[];
  /** The first D1 binding, for the idempotency store of a consumer. */
  d1Binding?: string;
  /** The ops flags object is already bound. */
  hasOpsFlags: boolean;
  hasVersionMetadata: boolean;
  /** The tag the migration step that adds BlastwallOpsFlags gets: unique and after the existing ones. */
  nextMigrationTag: string;
}

const OPS_CLASS = "BlastwallOpsFlags";
const SOURCE = /\.(ts|tsx|mts|js|mjs)$/;
const SKIP_DIRS = new Set(["node_modules", "dist", ".wrangler", ".blastwall", "test", "tests", "__tests__"]);
/** Health routes in the order a real one is likelier: the first found wins. */
const HEALTH = /["'`](\/(?:[\w-]+\/)*(?:healthz|health|livez|readyz|ping|status)(?:check)?)["'`]/g;
const HEALTH_RANK = ["healthz", "health", "livez", "readyz", "ping", "status"];

/** Source files under the main module's folder (tests and build output left out), at most a few hundred. */
function sourceFiles(dir: string, limit = 400): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (out.length >= limit) return;
      if (e.isDirectory() && !SKIP_DIRS.has(e.name) && !e.name.startsWith(".")) walk(join(d, e.name));
      else if (e.isFile() && SOURCE.test(e.name) && !/\.(test|spec)\./.test(e.name)) out.push(join(d, e.name));
    }
  };
  if (existsSync(dir) && statSync(dir).isDirectory()) walk(dir);
  return out;
}

function rank(path: string): number {
  const last = path.split("/").pop() ?? "";
  const i = HEALTH_RANK.findIndex((h) => last.startsWith(h));
  return (i < 0 ? HEALTH_RANK.length : i) * 10 + path.split("/").length;
}

/** The health route the code declares, if any: the most conventional name, then the shortest path. */
export function findHealthPath(sources: string[]): string | undefined {
  const found = new Set<string>();
  for (const text of sources) for (const m of text.matchAll(HEALTH)) if (m[1]) found.add(m[1]);
  return [...found].sort((a, b) => rank(a) - rank(b))[0];
}

/** The next Durable Object migration tag: v<n+1> when the existing tags are v1, v2, ...; else a distinct name. */
export function nextMigrationTag(tags: unknown[]): string {
  const strings = tags.filter((t): t is string => typeof t === "string");
  const numbered = strings.map((t) => /^v(\d+)$/.exec(t)?.[1]).filter((n): n is string => n !== undefined);
  if (numbered.length === strings.length) return `v${Math.max(0, ...numbered.map(Number)) + 1}`;
  let tag = "blastwall-ops-flags";
  for (let i = 2; strings.includes(tag); i++) tag = `blastwall-ops-flags-${i}`;
  return tag;
}

/**
 * Reads one Worker's config and code the way `init` needs it: its roles, health route, framework and bindings.
 *
 * @example
 * const w = inferWorker(loadWranglerConfig("wrangler.jsonc"), process.cwd());
 * w.healthPath; // "/healthz"
 */
export function inferWorker(config: WranglerConfig, root: string): InferredWorker {
  const mainPath = config.main ? resolve(dirname(config.path), config.main) : undefined;
  const texts = mainPath ? sourceFiles(dirname(mainPath)).map((f) => readFileSync(f, "utf8")) : [];
  const mainText = mainPath && existsSync(mainPath) ? readFileSync(mainPath, "utf8") : "";
  const consumes = config.queues.consumers.map((c) => ({
    queue: c.queue,
    ...(c.dead_letter_queue ? { deadLetterQueue: c.dead_letter_queue } : {}),
    ...(c.max_retries !== undefined ? { maxRetries: c.max_retries } : {}),
  }));
  // A consumer with no fetch handler is not HTTP; a main module that mentions fetch (or a Hono app) is.
  const http = consumes.length === 0 || /\bfetch\b|new Hono\b/.test(mainText);
  const healthPath = http ? findHealthPath(texts) : undefined;
  const ownClasses = config.durable_objects.bindings.filter((b) => !b.script_name).map((b) => b.class_name);
  return {
    name: config.name ?? basename(dirname(config.path)),
    config: relative(root, config.path) || basename(config.path),
    format: config.format,
    ...(mainPath ? { main: relative(root, mainPath) } : {}),
    http,
    produces: config.queues.producers.map((p) => p.queue),
    usesQueues: texts.some((t) => /from\s+["']blastwall\/queues["']/.test(t)),
    consumes,
    ...(healthPath ? { healthPath } : {}),
    hono: texts.some((t) => /from\s+["']hono["']/.test(t)),
    durableObjects: ownClasses.filter((c) => c !== OPS_CLASS),
    ...(config.d1_databases[0]?.binding ? { d1Binding: config.d1_databases[0].binding } : {}),
    hasOpsFlags: ownClasses.includes(OPS_CLASS),
    hasVersionMetadata: config.version_metadata !== undefined,
    nextMigrationTag: nextMigrationTag(config.migrations.map((m) => m.tag)),
  };
}

/** The smoke checks `init` proposes: the health route when there is one, else the root path must not fail. */
export function inferSmoke(w: InferredWorker): SmokeCheck[] {
  if (!w.http) return [];
  if (w.healthPath) return [{ name: "health", path: w.healthPath, maxLatencyMs: 1000 }];
  return [{ name: "home answers", path: "/", expectStatus: [200, 301, 302, 404] }];
}
