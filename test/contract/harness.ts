import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type CloudflarePlatformOptions,
  createCloudflarePlatform,
  createRetryPolicy,
  createWranglerRunner,
  type RunWrangler,
} from "../../src/platform/cloudflare/index.js";
import type { ContractServer } from "./cloudflare-api-server.js";
import { checkOutputEntry } from "./schema/wrangler-output.js";

/** Shared setup of the contract tests: a small two-Worker project, the platform pointed at the fake, a fake clock. */

export const TOKEN = "cf-test-token-0123456789abcdef";
export const ADMIN = "ops-admin-token-for-tests";
export const D1_ID = "5f0c3f2e-7a5b-4f4e-9a52-0b2c7d4c1a11";
export const GUARD = new URL("./loopback-guard.cjs", import.meta.url).pathname;

/** The wrangler under test: CI sets BLASTWALL_TEST_WRANGLER_BIN (4.86.0 and the newest 4.x); else the repo's own. */
export const WRANGLER_BIN = process.env.BLASTWALL_TEST_WRANGLER_BIN || undefined;

/** Time that only moves when a retry sleeps, so a 5-minute 429 storm takes no real time. */
export interface FakeClock {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Total time slept. */
  slept: number;
}

export function fakeClock(start = Date.now()): FakeClock {
  let t = start;
  const clock: FakeClock = {
    now: () => t,
    sleep: async (ms) => {
      t += ms;
      clock.slept += ms;
    },
    slept: 0,
  };
  return clock;
}

/** A two-Worker project shaped like examples/shop, small enough to bundle fast. */
export function writeProject(root: string, extra: Record<string, unknown> = {}): void {
  const api = join(root, "api");
  const consumer = join(root, "consumer");
  const migrations = join(root, "migrations");
  for (const d of [api, consumer, migrations]) mkdirSync(d, { recursive: true });
  writeFileSync(
    join(api, "index.js"),
    `export class Cart { constructor(state) { this.state = state; } async fetch() { return new Response("cart"); } }
export default { async fetch() { return new Response("shop-api"); } };\n`,
  );
  writeFileSync(
    join(api, "wrangler.jsonc"),
    JSON.stringify({
      name: "shop-api",
      main: "index.js",
      compatibility_date: "2026-04-01",
      version_metadata: { binding: "CF_VERSION_METADATA" },
      d1_databases: [{ binding: "DB", database_name: "shop", database_id: D1_ID, migrations_dir: "../migrations" }],
      durable_objects: { bindings: [{ name: "CARTS", class_name: "Cart" }] },
      migrations: [{ tag: "v1", new_sqlite_classes: ["Cart"] }],
      queues: { producers: [{ binding: "ORDER_EVENTS", queue: "order-events" }] },
      env: {
        staging: {
          d1_databases: [{ binding: "DB", database_name: "shop", database_id: D1_ID, migrations_dir: "../migrations" }],
        },
      },
      ...extra,
    }),
  );
  writeFileSync(join(consumer, "index.js"), `export default { async queue(batch) { batch.ackAll(); } };\n`);
  writeFileSync(
    join(consumer, "wrangler.jsonc"),
    JSON.stringify({
      name: "shop-consumer",
      main: "index.js",
      compatibility_date: "2026-04-01",
      queues: {
        producers: [{ binding: "ORDER_EVENTS_DLQ", queue: "order-events-dlq" }],
        consumers: [{ queue: "order-events", max_retries: 5, dead_letter_queue: "order-events-dlq" }],
      },
    }),
  );
  writeFileSync(
    join(migrations, "0001_create_orders.sql"),
    "CREATE TABLE orders (id TEXT PRIMARY KEY, total INTEGER);\n",
  );
  writeFileSync(join(migrations, "0002_add_status.sql"), "ALTER TABLE orders ADD COLUMN status TEXT;\n");
  writeFileSync(join(migrations, "0003_create_items.sql"), "CREATE TABLE items (order_id TEXT, sku TEXT);\n");
}

export function tempProject(extra?: Record<string, unknown>): string {
  const root = mkdtempSync(join(tmpdir(), "blastwall-contract-"));
  writeProject(root, extra);
  return root;
}

/** Wrangler output entries that do not match wrangler's own types, across every run of a test file. */
export const outputViolations: string[] = [];

/** The real wrangler runner, with every output-file entry checked against wrangler's OutputEntry types. */
function checkedRunner(api: ContractServer, processEnv: NodeJS.ProcessEnv, timeoutMs?: number): RunWrangler {
  const run = createWranglerRunner({
    apiToken: processEnv.CLOUDFLARE_API_TOKEN ?? TOKEN,
    accountId: processEnv.CLOUDFLARE_ACCOUNT_ID ?? api.state.accountId,
    apiBaseUrl: api.apiBaseUrl,
    wranglerBin: WRANGLER_BIN,
    baseEnv: processEnv,
    ...(timeoutMs ? { timeoutMs } : {}),
  });
  return async (args, options) => {
    try {
      const out = await run(args, options);
      for (const e of out.entries) outputViolations.push(...checkOutputEntry(e));
      return out;
    } catch (err) {
      const entries = (err as { entries?: unknown[] }).entries ?? [];
      for (const e of entries) outputViolations.push(...checkOutputEntry(e));
      throw err;
    }
  };
}

export interface HarnessPlatformOptions extends Partial<CloudflarePlatformOptions> {
  api: ContractServer;
  projectDir: string;
  /** Extra process env (e.g. a different account id). */
  extraEnv?: Record<string, string>;
  guardLog?: string;
  clock?: FakeClock;
  warnings?: string[];
  /** Leave CLOUDFLARE_ACCOUNT_ID unset (the account comes from the config, or is discovered). */
  noAccountEnv?: boolean;
}

/**
 * The Cloudflare platform pointed at the fake, with the fake's clock, a short API timeout and a retry budget that
 * still outlasts the 5-minute lock-out (in fake time).
 */
export function harnessPlatform({
  api,
  projectDir,
  extraEnv = {},
  guardLog,
  clock,
  warnings,
  noAccountEnv = false,
  ...options
}: HarnessPlatformOptions) {
  const processEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    CLOUDFLARE_API_TOKEN: TOKEN,
    ...(noAccountEnv ? {} : { CLOUDFLARE_ACCOUNT_ID: api.state.accountId }),
    CLOUDFLARE_API_BASE_URL: api.apiBaseUrl,
    BLASTWALL_ADMIN_TOKEN: ADMIN,
    ...(guardLog ? { NODE_OPTIONS: `--require ${GUARD}`, BLASTWALL_NET_GUARD_LOG: guardLog } : {}),
    ...extraEnv,
  };
  return createCloudflarePlatform({
    projectDir,
    opsUrl: api.workerUrl,
    processEnv,
    wranglerBin: WRANGLER_BIN,
    timeoutMs: 2_000,
    retry: createRetryPolicy({ budgetMs: 7 * 60_000 }),
    ...(clock ? { clock } : {}),
    warn: (m) => warnings?.push(m),
    runWrangler: checkedRunner(api, processEnv, options.wranglerTimeoutMs),
    ...options,
  });
}
