import { BlastwallError } from "../../core/errors.js";
import { migrationOrderOf } from "../../core/migration-order.js";
import { wranglerVersionOfBin } from "../../project/wrangler-version.js";
import type { Deployment, Platform, SmokeTarget } from "../platform.js";
import { accountIdFromConfigs, discoverAccountId } from "./account.js";
import { type CloudflareApi, createCloudflareApi } from "./api.js";
import { type CloudflareContext, createCloudflareContext } from "./context.js";
import { type CloudflareD1, createCloudflareD1 } from "./d1.js";
import { type DoctorReport, runDoctor } from "./doctor.js";
import { type CloudflareFlags, createCloudflareFlags } from "./flags.js";
import { type CloudflareQueues, createCloudflareQueues } from "./queues.js";
import { type Clock, createRetryPolicy, type RetryPolicy, realClock } from "./retry.js";
import { type CloudflareRollbackOptions, rollbackWorker } from "./rollback.js";
import { type CloudflareSignals, createCloudflareSignals } from "./signals.js";
import { smokeTarget, workerUrl } from "./urls.js";
import { type CloudflareVersions, createCloudflareVersions } from "./versions.js";
import { createWranglerRunner, type RunWrangler } from "./wrangler.js";

export { type CloudflareApi, CloudflareApiError, createCloudflareApi } from "./api.js";
export { UNDO_RESTORE } from "./d1.js";
export type { DoctorReport, ScopeCheck } from "./doctor.js";
export { redact } from "./redact.js";
export { type Clock, createRetryPolicy, type RetryPolicy, realClock } from "./retry.js";
export type { CloudflareRollbackOptions } from "./rollback.js";
export { createWranglerRunner, type RunWrangler, WranglerError } from "./wrangler.js";

export interface CloudflarePlatformOptions {
  /** Folder holding the project's wrangler configs (Workers are found by name). Default: cwd. */
  projectDir?: string;
  /** Default wrangler environment (`--env`), e.g. "staging"; a call's own `env` wins. */
  env?: string;
  /** Where credentials come from: CLOUDFLARE_API_TOKEN, CLOUDFLARE_ACCOUNT_ID, CLOUDFLARE_API_BASE_URL,
   * BLASTWALL_ADMIN_TOKEN, BLASTWALL_OPS_URL. Default: process.env. */
  processEnv?: NodeJS.ProcessEnv;
  /** Origin of a deployed Worker that mounts the ops admin API at `/__blastwall/ops` (flags live there). */
  opsUrl?: string;
  /** A KV namespace id to keep flags in as `ops:<name>` when there is no ops admin API. */
  flagsKvNamespaceId?: string;
  /** The Analytics Engine dataset `blastwall/telemetry` writes to. */
  telemetryDataset?: string;
  /** How late analytics rows become readable (`metricsIngestion().lagSeconds`; windows are never shifted). Default 60 s. */
  ingestionLagMs?: number;
  /** Path of wrangler's bin script (default: the installed wrangler). */
  wranglerBin?: string;
  fetch?: typeof fetch;
  /** Abort one API attempt after this long. Default 30 s. */
  timeoutMs?: number;
  /** Kill a wrangler run that changes no data after this long. Default 10 minutes. */
  wranglerTimeoutMs?: number;
  /** Retries for 429/5xx/timeouts; the default outlasts the API's 5-minute rate-limit lock-out. */
  retry?: RetryPolicy;
  clock?: Clock;
  /** Where warnings go (a pre-flight that could not read a resource). Default: stderr. */
  warn?: (message: string) => void;
  /** Runs wrangler; default: the real one (`createWranglerRunner`). Contract tests wrap it to check its output. */
  runWrangler?: RunWrangler;
}

/** The Cloudflare target: the Platform plus the Cloudflare-only parts (`--force` rollback, smoke targets, `doctor`). */
export type CloudflarePlatform = Omit<Platform, "rollback" | "target"> &
  Omit<CloudflareVersions, "apiDeployments" | "getVersion"> &
  CloudflareSignals &
  CloudflareQueues &
  CloudflareFlags &
  CloudflareD1 & {
    readonly target: "cloudflare";
    readonly api: CloudflareApi;
    rollback(worker: string, options?: CloudflareRollbackOptions): Promise<Deployment>;
    workerUrl(worker: string, env?: string): Promise<string | undefined>;
    smokeTarget(worker: string, versionId: string, env?: string): Promise<SmokeTarget>;
    /** The name Cloudflare knows the Worker by in an environment (`<name>-<env>`). */
    scriptName(worker: string, env?: string): string;
    /** Verifies the token and every permission the project's bindings need (`blastwall doctor`). */
    doctor(): Promise<DoctorReport>;
  };

const AUTH_FIX =
  "create an API token with the scopes in docs/cloudflare.md (blastwall doctor --target cloudflare checks them) and export CLOUDFLARE_API_TOKEN";

function buildContext(
  o: Required<Pick<CloudflarePlatformOptions, "projectDir" | "processEnv" | "fetch">> & CloudflarePlatformOptions,
): CloudflareContext {
  const apiToken = o.processEnv.CLOUDFLARE_API_TOKEN;
  if (!apiToken) throw new BlastwallError("CLOUDFLARE_API_TOKEN is not set", { kind: "input", fix: AUTH_FIX });
  const clock = o.clock ?? realClock;
  const retry = o.retry ?? createRetryPolicy();
  const apiBaseUrl = o.processEnv.CLOUDFLARE_API_BASE_URL;
  let ctx: CloudflareContext | undefined;
  // The account: the environment, else the configs' account_id, else the only account the token sees.
  const accountId =
    o.processEnv.CLOUDFLARE_ACCOUNT_ID ??
    (async () => accountIdFromConfigs(ctx?.configs() ?? []) ?? discoverAccountId(api));
  const api = createCloudflareApi({
    accountId,
    apiToken,
    baseUrl: apiBaseUrl,
    fetch: o.fetch,
    timeoutMs: o.timeoutMs,
    retry,
    clock,
  });
  const runWrangler =
    o.runWrangler ??
    createWranglerRunner({
      apiToken,
      accountId: () => api.accountId(),
      apiBaseUrl,
      wranglerBin: o.wranglerBin,
      baseEnv: o.processEnv,
      timeoutMs: o.wranglerTimeoutMs,
    });
  ctx = createCloudflareContext({
    api,
    runWrangler,
    projectDir: o.projectDir,
    processEnv: o.processEnv,
    defaultEnv: o.env,
    warn: o.warn ?? ((m) => process.stderr.write(`warning: ${m}\n`)),
    clock,
    retry,
    wranglerVersion: wranglerVersionOfBin(o.wranglerBin),
  });
  return ctx;
}

/**
 * The Cloudflare target, one module per capability: versions and deployments (`versions.ts`, `rollback.ts`),
 * metrics (`signals.ts`), queues (`queues.ts`), flags (`flags.ts`), D1 and restore points (`d1.ts`). It drives the
 * real wrangler (reading its structured output file) and the REST, GraphQL and Analytics Engine SQL APIs, and keeps
 * no state: history, splits, restore points and flags are read back from Cloudflare each time.
 *
 * @example
 * const cf = createCloudflarePlatform({ projectDir: "examples/shop", opsUrl: "https://shop-api.example.workers.dev" });
 * const v = await cf.uploadVersion({ worker: "shop-api", configPath: "examples/shop/api/wrangler.jsonc", tag: "v2" });
 * await cf.deploy("shop-api", [{ versionId: v.id, percentage: 0 }, { versionId: stable, percentage: 100 }]);
 */
export function createCloudflarePlatform({
  projectDir = process.cwd(),
  processEnv = process.env,
  opsUrl = processEnv.BLASTWALL_OPS_URL,
  flagsKvNamespaceId = processEnv.BLASTWALL_FLAGS_KV_ID,
  telemetryDataset = "blastwall_telemetry",
  ingestionLagMs = 60_000,
  fetch: doFetch = fetch,
  timeoutMs = 30_000,
  ...rest
}: CloudflarePlatformOptions = {}): CloudflarePlatform {
  const ctx = buildContext({ ...rest, projectDir, processEnv, fetch: doFetch, timeoutMs });
  const versions = createCloudflareVersions(ctx);
  const queues = createCloudflareQueues(ctx);
  const { apiDeployments: _a, getVersion: _g, ...versionOps } = versions;
  return {
    target: "cloudflare",
    api: ctx.api,
    scriptName: (worker, env) => ctx.scriptName(worker, env),
    doctor: () => runDoctor(ctx, { flagsKv: Boolean(flagsKvNamespaceId) }),
    ...versionOps,
    rollback: (worker, options) => rollbackWorker(ctx, versions, worker, options),
    workerUrl: (worker, env) => workerUrl(ctx, worker, env),
    smokeTarget: (worker, versionId, env) => smokeTarget(ctx, versions, worker, versionId, env),
    ...createCloudflareSignals(ctx, versions, queues, { telemetryDataset, ingestionLagMs }),
    ...queues,
    ...createCloudflareFlags(ctx, { opsUrl, flagsKvNamespaceId, fetch: doFetch, timeoutMs }),
    // Migrations run in the order of the wrangler that applies them.
    ...createCloudflareD1(ctx, versions, migrationOrderOf(ctx.wranglerVersion)),
  };
}
