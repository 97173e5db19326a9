import { basename, dirname, resolve } from "node:path";
import { BlastwallError } from "../../core/errors.js";
import { loadProject } from "../../project/discover.js";
import type { WorkerSettings, WranglerConfig } from "../../project/wrangler-config.js";
import { type CloudflareApi, CloudflareApiError } from "./api.js";
import { type Clock, type RetryPolicy, withRetries } from "./retry.js";
import { type RunWrangler, type RunWranglerOptions, WranglerError, type WranglerRun } from "./wrangler.js";

/**
 * What every capability module of the Cloudflare target shares: the API client, the wrangler runner, the project's
 * configs and the rules that turn a Worker and an environment into the script name Cloudflare knows.
 */
export interface CloudflareContext {
  readonly api: CloudflareApi;
  readonly projectDir: string;
  readonly processEnv: NodeJS.ProcessEnv;
  /** Runs wrangler once. */
  readonly runWrangler: RunWrangler;
  /** Runs wrangler, again after a backoff when it was rate limited, timed out or met a 5xx (read-only or idempotent commands). */
  wranglerRetrying(args: string[], options?: RunWranglerOptions): Promise<WranglerRun>;
  /** Says something the operator should know without stopping (a pre-flight that could not read a resource). */
  warn(message: string): void;
  configs(): WranglerConfig[];
  configOf(worker: string): WranglerConfig | undefined;
  /** The settings wrangler uses for an environment (bindings are not inherited; name and migrations are). */
  settingsOf(config: WranglerConfig, env: string | undefined): WorkerSettings;
  /** The call's env, else the platform's default. */
  envOf(env: string | undefined): string | undefined;
  /** The script name Cloudflare knows: the env's own `name`, else `<name>-<env>`. */
  scriptName(worker: string, env: string | undefined): string;
  /** `--config/--env` when the Worker's config is known, else `--name`; and the folder to run wrangler from. */
  target(worker: string, env: string | undefined): { args: string[]; cwd: string };
  readonly clock: Clock;
  readonly retry: RetryPolicy;
  /** The version of the wrangler this context runs (its flags differ between releases). */
  readonly wranglerVersion: string | undefined;
}

export interface CloudflareContextOptions {
  api: CloudflareApi;
  runWrangler: RunWrangler;
  projectDir: string;
  processEnv: NodeJS.ProcessEnv;
  defaultEnv?: string;
  warn: (message: string) => void;
  clock: Clock;
  retry: RetryPolicy;
  wranglerVersion?: string;
}

/** The API's "this Worker does not exist" code. */
export const WORKER_NOT_FOUND = 10007;

/** True when an API or wrangler failure says the Worker does not exist (an answer, not an error, for history). */
export function isWorkerNotFound(err: unknown): boolean {
  return (err instanceof CloudflareApiError || err instanceof WranglerError) && err.code === WORKER_NOT_FOUND;
}

function loadConfigs(projectDir: string): WranglerConfig[] {
  try {
    return loadProject(projectDir).workers;
  } catch (err) {
    // No config here: commands that can name the Worker (`--name`) still work; the rest say what is missing.
    if (!(err instanceof BlastwallError)) throw err;
    return [];
  }
}

/**
 * @example
 * const ctx = createCloudflareContext({ api, runWrangler, projectDir: ".", processEnv: process.env, warn, clock, retry });
 * ctx.scriptName("shop-api", "staging"); // "shop-api-staging"
 */
export function createCloudflareContext({
  api,
  runWrangler,
  projectDir,
  processEnv,
  defaultEnv,
  warn,
  clock,
  retry,
  wranglerVersion,
}: CloudflareContextOptions): CloudflareContext {
  let configs: WranglerConfig[] | undefined;
  const ctx: CloudflareContext = {
    api,
    projectDir,
    processEnv,
    runWrangler,
    warn,
    clock,
    retry,
    wranglerVersion,
    wranglerRetrying: (args, options) =>
      withRetries(() => runWrangler(args, options), {
        policy: retry,
        clock,
        classify: (err) => ({ retryable: err instanceof WranglerError && err.transient }),
      }),
    configs: () => {
      configs ??= loadConfigs(projectDir);
      return configs;
    },
    configOf: (worker) => ctx.configs().find((c) => c.name === worker || basename(dirname(c.path)) === worker),
    settingsOf: (config, env) => {
      const section = env ? config.env[env] : undefined;
      if (!section) return config;
      return {
        ...section,
        name: section.name ?? config.name,
        migrations: section.migrations.length ? section.migrations : config.migrations,
      };
    },
    envOf: (env) => env ?? defaultEnv,
    scriptName: (worker, env) => {
      const e = ctx.envOf(env);
      if (!e) return worker;
      return ctx.configOf(worker)?.env[e]?.name ?? `${worker}-${e}`;
    },
    target: (worker, env) => {
      const config = ctx.configOf(worker);
      const e = ctx.envOf(env);
      if (config) return { args: ["--config", config.path, ...(e ? ["--env", e] : [])], cwd: dirname(config.path) };
      return { args: ["--name", ctx.scriptName(worker, env)], cwd: resolve(projectDir) };
    },
  };
  return ctx;
}
