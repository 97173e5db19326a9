import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { BlastwallError, UsageError } from "../../core/errors.js";
import { type MigrationOrder, migrationOrderOf, sortMigrations } from "../../core/migration-order.js";
import { assertSplit } from "../../core/split.js";
import { loadProject } from "../../project/discover.js";
import { loadWranglerConfig, type WorkerSettings, type WranglerConfig } from "../../project/wrangler-config.js";
import { wranglerVersionOfBin } from "../../project/wrangler-version.js";
import { flagKvKey, flagNameOfKvKey, KV_PREFIX } from "../../runtime/ops/names.js";
import type {
  Deployment,
  DeployOptions,
  ExtraSignals,
  FlagState,
  MetricsQuery,
  MigrationState,
  Platform,
  QueueState,
  ReplayOptions,
  RestorePoint,
  RollbackOptions,
  SplitEntry,
  UploadVersionOptions,
  VersionInfo,
  VersionMetrics,
} from "../platform.js";
import { type CloudflareApi, CloudflareApiError, createCloudflareApi } from "./api.js";
import { createDlqReplay } from "./dlq-replay.js";
import {
  backlogOf,
  DURABLE_OBJECTS_QUERY,
  type DurableObjectsData,
  dlqCount,
  durableObjectErrors,
  INVOCATIONS_QUERY,
  type InvocationsRow,
  mergeVersionMetrics,
  QUEUE_BACKLOG_QUERY,
  QUEUE_DLQ_QUERY,
  type QueueBacklogData,
  type QueueOpsData,
  type SqlJson,
  slowerThanCounts,
  slowerThanSql,
  summariseInvocations,
  summariseTelemetry,
  telemetrySql,
} from "./metrics.js";
import { assertRollbackPreflight, assertUploadPreflight, PreflightError } from "./preflight/index.js";
import { redact } from "./redact.js";
import { formatRestorePoint, MAX_MESSAGE_LENGTH, parseRestorePoint } from "./restore-points.js";
import { createWranglerRunner, type RunWrangler, WranglerError } from "./wrangler.js";

export { type CloudflareApi, CloudflareApiError, createCloudflareApi } from "./api.js";
export { redact } from "./redact.js";
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
  /** Path of wrangler's bin script (default: the installed wrangler). */
  wranglerBin?: string;
  fetch?: typeof fetch;
}

/** RollbackOptions plus the Cloudflare-only escape hatch for error 10220. */
export interface CloudflareRollbackOptions extends RollbackOptions {
  /** Roll back even though secrets changed since the target (give the reason in `message`). */
  allowChangedSecrets?: boolean;
}

interface ApiVersion {
  id: string;
  metadata?: { created_on?: string };
  annotations?: Record<string, string>;
}

interface ApiDeployment {
  id: string;
  created_on: string;
  annotations?: Record<string, string>;
  versions: { version_id: string; percentage: number }[];
}

interface QueueRecord {
  queue_id: string;
  queue_name: string;
  settings?: { delivery_paused?: boolean };
}

interface AdminFlag {
  name: string;
  value: string;
  updatedAt?: string | null;
  actor?: string | null;
}

function required(env: NodeJS.ProcessEnv, name: string, fix: string): string {
  const v = env[name];
  if (!v) throw new BlastwallError(`${name} is not set`, { kind: "input", fix });
  return v;
}

function toVersionInfo(worker: string, v: ApiVersion): VersionInfo {
  const annotations = v.annotations ?? {};
  return {
    id: v.id,
    worker,
    tag: annotations["workers/tag"],
    message: annotations["workers/message"],
    createdAt: v.metadata?.created_on ?? "",
    annotations,
  };
}

function toDeployment(worker: string, d: ApiDeployment): Deployment {
  const message = d.annotations?.["workers/message"];
  const rollback = d.annotations?.["workers/triggered_by"] === "rollback" || /^rollback\b/i.test(message ?? "");
  return {
    id: d.id,
    worker,
    createdAt: d.created_on,
    message,
    kind: rollback ? "rollback" : "deployment",
    versions: d.versions.map((v) => ({ versionId: v.version_id, percentage: v.percentage })),
  };
}

/** Newest first, whatever order the source used. */
function newestFirst(ds: ApiDeployment[]): ApiDeployment[] {
  return [...ds].sort((a, b) => b.created_on.localeCompare(a.created_on));
}

/** Keeps a deployment message within the API's limit, so wrangler never fails on length. */
function clampMessage(message: string): string {
  return message.length <= MAX_MESSAGE_LENGTH ? message : `${message.slice(0, MAX_MESSAGE_LENGTH - 1)}…`;
}

/**
 * The Cloudflare target: drives the real wrangler (reading its structured output file) and the REST, GraphQL and
 * Analytics Engine SQL APIs. It keeps no state: history, splits, restore points and flags are read back from
 * Cloudflare each time.
 *
 * @example
 * const cf = createCloudflarePlatform({ projectDir: "examples/shop", opsUrl: "https://shop-api.example.workers.dev" });
 * const v = await cf.uploadVersion({ worker: "shop-api", configPath: "examples/shop/api/wrangler.jsonc", tag: "v2" });
 * await cf.deploy("shop-api", [{ versionId: v.id, percentage: 0 }, { versionId: stable, percentage: 100 }]);
 */
export function createCloudflarePlatform({
  projectDir = process.cwd(),
  env: defaultEnv,
  processEnv = process.env,
  opsUrl = processEnv.BLASTWALL_OPS_URL,
  flagsKvNamespaceId = processEnv.BLASTWALL_FLAGS_KV_ID,
  telemetryDataset = "blastwall_telemetry",
  wranglerBin,
  fetch: doFetch = fetch,
}: CloudflarePlatformOptions = {}): Platform & {
  rollback(worker: string, options?: CloudflareRollbackOptions): Promise<Deployment>;
} {
  const authFix =
    "create an API token (Workers Scripts:Edit, D1:Edit, Queues:Edit, Account Analytics:Read) and export CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID";
  const apiToken = required(processEnv, "CLOUDFLARE_API_TOKEN", authFix);
  const accountId = required(processEnv, "CLOUDFLARE_ACCOUNT_ID", authFix);
  const apiBaseUrl = processEnv.CLOUDFLARE_API_BASE_URL;
  const adminToken = processEnv.BLASTWALL_ADMIN_TOKEN;
  const secrets = [apiToken, adminToken];
  const api: CloudflareApi = createCloudflareApi({ accountId, apiToken, baseUrl: apiBaseUrl, fetch: doFetch });
  const runWrangler: RunWrangler = createWranglerRunner({
    apiToken,
    accountId,
    apiBaseUrl,
    wranglerBin,
    baseEnv: processEnv,
  });

  // Migrations run in the order of the wrangler that applies them.
  const migrationOrder = migrationOrderOf(wranglerVersionOfBin(wranglerBin));
  let configs: WranglerConfig[] | undefined;
  const projectConfigs = (): WranglerConfig[] => {
    if (!configs) {
      try {
        configs = loadProject(projectDir).workers;
      } catch (err) {
        // No config here: commands that can name the Worker (`--name`) still work; the rest say what is missing.
        if (!(err instanceof BlastwallError)) throw err;
        configs = [];
      }
    }
    return configs;
  };
  const configOf = (worker: string): WranglerConfig | undefined =>
    projectConfigs().find((c) => c.name === worker || basename(dirname(c.path)) === worker);
  const settingsOf = (config: WranglerConfig, env: string | undefined): WorkerSettings => {
    const section = env ? config.env[env] : undefined;
    if (!section) return config;
    // Wrangler does not inherit bindings into environments; name and migrations are inherited.
    return {
      ...section,
      name: section.name ?? config.name,
      migrations: section.migrations.length ? section.migrations : config.migrations,
    };
  };
  const envOf = (env: string | undefined) => env ?? defaultEnv;
  /** The script name Cloudflare knows: `<name>-<env>` for a wrangler environment without its own name. */
  const scriptName = (worker: string, env: string | undefined): string => {
    const e = envOf(env);
    if (!e) return worker;
    const own = configOf(worker)?.env[e]?.name;
    return own ?? `${worker}-${e}`;
  };
  /** `--config/--env` when the Worker's config is known, else `--name`; run from the config's folder. */
  const target = (worker: string, env: string | undefined): { args: string[]; cwd: string } => {
    const config = configOf(worker);
    const e = envOf(env);
    if (config) return { args: ["--config", config.path, ...(e ? ["--env", e] : [])], cwd: dirname(config.path) };
    return { args: ["--name", scriptName(worker, env)], cwd: resolve(projectDir) };
  };

  const apiDeployments = async (worker: string, env?: string): Promise<ApiDeployment[]> => {
    try {
      const { deployments } = await api.account<{ deployments: ApiDeployment[] }>(
        `/workers/scripts/${encodeURIComponent(scriptName(worker, env))}/deployments`,
      );
      return newestFirst(deployments);
    } catch (err) {
      // A Worker that was never deployed has no history; that is an answer, not an error.
      if (err instanceof CloudflareApiError && err.code === WORKER_NOT_FOUND) return [];
      throw err;
    }
  };

  const getVersion = (worker: string, env: string | undefined, id: string) =>
    api.account<ApiVersion>(`/workers/scripts/${encodeURIComponent(scriptName(worker, env))}/versions/${id}`);

  /** A throwaway wrangler config naming just one D1 database, so `d1` commands work for any env's binding. */
  const withD1Config = async <T>(
    worker: string,
    database: string,
    run: (configPath: string, migrationsDir: string, table: string, dbName: string) => Promise<T>,
    onlyMigrationsUpTo?: (names: string[]) => string[],
  ): Promise<T> => {
    const config = configOf(worker);
    if (!config) {
      throw new BlastwallError(`no wrangler config for Worker "${worker}" under ${projectDir}`, {
        kind: "input",
        fix: "run from the project folder or pass --project-dir",
      });
    }
    const settings = settingsOf(config, envOf(undefined));
    const db = settings.d1_databases.find((d) => d.database_name === database || d.binding === database);
    if (!db?.database_id) {
      throw new BlastwallError(`Worker "${worker}" has no D1 database "${database}" with a database_id`, {
        kind: "input",
        location: { file: config.path, ...(config.locate(["d1_databases"]) ?? {}) },
        fix: `add it to d1_databases with its database_id (wrangler d1 list shows the ids)`,
      });
    }
    // An environment's database entry often leaves the migrations settings to the top-level entry.
    const top = config.d1_databases.find((d) => d.binding === db.binding);
    const migrationsDir = resolve(dirname(config.path), db.migrations_dir ?? top?.migrations_dir ?? "migrations");
    const table = db.migrations_table ?? top?.migrations_table ?? "d1_migrations";
    const dir = mkdtempSync(join(tmpdir(), "blastwall-d1-"));
    try {
      let dirForWrangler = migrationsDir;
      if (onlyMigrationsUpTo) {
        // Wrangler applies every pending file in the folder; a folder of links to the wanted ones stops at `upTo`.
        dirForWrangler = join(dir, "migrations");
        const keep = onlyMigrationsUpTo(migrationFiles(migrationsDir, migrationOrder));
        mkdirSync(dirForWrangler, { recursive: true });
        for (const f of keep) symlinkSync(join(migrationsDir, f), join(dirForWrangler, f));
      }
      const configPath = join(dir, "wrangler.json");
      writeFileSync(
        configPath,
        JSON.stringify({
          name: scriptName(worker, undefined),
          compatibility_date: settings.compatibility_date ?? "2024-01-01",
          d1_databases: [
            {
              binding: db.binding,
              database_name: db.database_name ?? database,
              database_id: db.database_id,
              migrations_dir: dirForWrangler,
              migrations_table: table,
            },
          ],
        }),
      );
      return await run(configPath, migrationsDir, table, db.database_name ?? database);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  const d1Query = async <T>(worker: string, database: string, sql: string): Promise<T[]> => {
    const config = configOf(worker);
    const db = config
      ? settingsOf(config, envOf(undefined)).d1_databases.find(
          (d) => d.database_name === database || d.binding === database,
        )
      : undefined;
    if (!db?.database_id)
      throw new BlastwallError(`unknown D1 database "${database}" for ${worker}`, { kind: "input" });
    const out = await api.account<{ results?: T[] }[]>(`/d1/database/${db.database_id}/query`, {
      method: "POST",
      body: JSON.stringify({ sql }),
    });
    return out[0]?.results ?? [];
  };

  const queueByName = async (queue: string): Promise<QueueRecord> => {
    const list = await api.account<QueueRecord[]>("/queues", { query: { name: queue } });
    const q = list.find((x) => x.queue_name === queue);
    if (!q) {
      throw new BlastwallError(`queue "${queue}" does not exist on this account`, {
        kind: "input",
        fix: `check the name (wrangler queues list), or create it: wrangler queues create ${queue}`,
      });
    }
    return q;
  };

  const replayDlq = createDlqReplay({ api, queueId: async (name) => (await queueByName(name)).queue_id });

  const deadLetterQueueOf = (queue: string): string | undefined => {
    for (const c of projectConfigs()) {
      const consumer = settingsOf(c, envOf(undefined)).queues.consumers.find((x) => x.queue === queue);
      if (consumer?.dead_letter_queue) return consumer.dead_letter_queue;
    }
    return undefined;
  };

  const sourcesOfDeadLetterQueue = (dlq: string): string[] =>
    projectConfigs().flatMap((c) =>
      settingsOf(c, envOf(undefined))
        .queues.consumers.filter((x) => x.dead_letter_queue === dlq)
        .map((x) => x.queue),
    );

  const opsFetch = async (path: string, init: { method?: string; body?: string } = {}): Promise<unknown> => {
    if (!opsUrl) throw new BlastwallError("no ops admin URL", { kind: "input" });
    const token = required(processEnv, "BLASTWALL_ADMIN_TOKEN", "export the admin token the Worker's ops API checks");
    const url = `${opsUrl.replace(/\/+$/, "")}/__blastwall/ops${path}`;
    let res: Response;
    try {
      res = await doFetch(url, {
        method: init.method ?? "GET",
        headers: { authorization: `Bearer ${token}`, ...(init.body ? { "content-type": "application/json" } : {}) },
        body: init.body,
      });
    } catch (err) {
      throw new BlastwallError(redact(`cannot reach the ops admin API at ${url}: ${String(err)}`, secrets), {
        kind: "failure",
        fix: "check BLASTWALL_OPS_URL points at the deployed Worker",
      });
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = { message: text.slice(0, 200) };
    }
    if (!res.ok) {
      const b = body as { message?: string; fix?: string };
      throw new BlastwallError(redact(`ops admin API ${path} answered ${res.status}: ${b.message ?? ""}`, secrets), {
        kind: "failure",
        fix: res.status === 401 ? "check BLASTWALL_ADMIN_TOKEN matches the Worker's admin token" : b.fix,
      });
    }
    return body;
  };

  const flagFromAdmin = (f: AdminFlag): FlagState => ({
    name: f.name,
    value: f.value,
    ...(f.updatedAt ? { updatedAt: f.updatedAt } : {}),
    ...(f.actor ? { actor: f.actor } : {}),
  });

  const platform = {
    target: "cloudflare" as const,

    async uploadVersion({ worker, configPath, tag, message, env, vars = {} }: UploadVersionOptions) {
      const config = loadWranglerConfig(configPath);
      const e = envOf(env);
      const script = scriptName(worker, e);
      await assertUploadPreflight(api, script, settingsOf(config, e));
      const args = ["versions", "upload", "--config", resolve(configPath), ...(e ? ["--env", e] : [])];
      if (tag) args.push("--tag", tag);
      if (message) args.push("--message", clampMessage(message));
      for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
      let entries: Awaited<ReturnType<RunWrangler>>["entries"];
      try {
        ({ entries } = await runWrangler(args, { cwd: dirname(resolve(configPath)) }));
      } catch (err) {
        if (err instanceof WranglerError && err.code === 10211) {
          throw new PreflightError([
            {
              check: "pending-do-migration",
              code: 10211,
              reason: `${script}: the API refused the upload because it carries a Durable Object migration`,
              fix: "ship it with `wrangler deploy`, in a release of its own",
            },
          ]);
        }
        throw err;
      }
      const upload = entries.find((x) => x.type === "version-upload");
      const id = typeof upload?.version_id === "string" ? upload.version_id : undefined;
      if (!id)
        throw new BlastwallError(`wrangler versions upload for ${script} reported no version id`, { kind: "failure" });
      return toVersionInfo(worker, await getVersion(worker, e, id));
    },

    async listVersions(worker: string, env?: string) {
      const { items } = await api.account<{ items: ApiVersion[] }>(
        `/workers/scripts/${encodeURIComponent(scriptName(worker, env))}/versions`,
      );
      return items.map((v) => toVersionInfo(worker, v));
    },

    async deploy(worker: string, split: SplitEntry[], { message, env }: DeployOptions = {}) {
      assertSplit(split);
      const t = target(worker, env);
      const args = ["versions", "deploy", ...split.map((s) => `${s.versionId}@${s.percentage}`), "--yes", ...t.args];
      if (message) args.push("--message", clampMessage(message));
      const { entries } = await runWrangler(args, { cwd: t.cwd });
      const entry = entries.find((x) => x.type === "version-deploy");
      const deploymentId = typeof entry?.deployment_id === "string" ? entry.deployment_id : undefined;
      const all = await apiDeployments(worker, env);
      const d = (deploymentId ? all.find((x) => x.id === deploymentId) : undefined) ?? all[0];
      if (!d)
        throw new BlastwallError(`wrangler versions deploy for ${worker} left no deployment`, { kind: "failure" });
      return toDeployment(worker, d);
    },

    async currentDeployment(worker: string, env?: string) {
      const [d] = await apiDeployments(worker, env);
      return d ? toDeployment(worker, d) : undefined;
    },

    async listDeployments(worker: string, env?: string) {
      const t = target(worker, env);
      let stdout: string;
      try {
        ({ stdout } = await runWrangler(["deployments", "list", "--json", ...t.args], { cwd: t.cwd }));
      } catch (err) {
        if (err instanceof WranglerError && err.code === WORKER_NOT_FOUND) return [];
        throw err;
      }
      const start = stdout.indexOf("[");
      let parsed: unknown;
      try {
        parsed = JSON.parse(start >= 0 ? stdout.slice(start) : stdout);
      } catch {
        throw new BlastwallError(`wrangler deployments list --json printed no JSON for ${worker}`, { kind: "failure" });
      }
      return newestFirst(parsed as ApiDeployment[]).map((d) => toDeployment(worker, d));
    },

    async rollback(worker: string, { to, message, env, allowChangedSecrets = false }: CloudflareRollbackOptions = {}) {
      const script = scriptName(worker, env);
      const [current, ...older] = await apiDeployments(worker, env);
      // Wrangler's rule (the newest earlier deployment in which one version served 100%), except that a version
      // already serving 100% now is skipped: re-deploys that only record a restore point must not become targets.
      const serving = new Set(current?.versions.filter((v) => v.percentage === 100).map((v) => v.version_id));
      const targetId =
        to ??
        older.flatMap((d) => d.versions.filter((v) => v.percentage === 100 && !serving.has(v.version_id)))[0]
          ?.version_id;
      if (!targetId) {
        throw new BlastwallError(`no earlier version of ${script} served 100% of traffic`, {
          kind: "failure",
          fix: "name the version to return to: blastwall rollback --worker <w> --to <version-id>",
        });
      }
      const currentVersion = current
        ? [...current.versions].sort((a, b) => b.percentage - a.percentage)[0]?.version_id
        : undefined;
      await assertRollbackPreflight(api, {
        scriptName: script,
        targetVersionId: targetId,
        currentVersionId: currentVersion,
        allowChangedSecrets,
      });
      const text = clampMessage(
        message ? (/^rollback\b/i.test(message) ? message : `rollback: ${message}`) : "rollback (blastwall)",
      );
      const t = target(worker, env);
      await runWrangler(["rollback", targetId, "--yes", "--message", text, ...t.args], { cwd: t.cwd });
      const [d] = await apiDeployments(worker, env);
      if (!d) throw new BlastwallError(`rollback of ${script} left no deployment`, { kind: "failure" });
      return { ...toDeployment(worker, d), kind: "rollback" as const };
    },

    async metrics({
      worker,
      since,
      until = new Date(),
      slowerThanMs = [],
      env,
    }: MetricsQuery): Promise<VersionMetrics[]> {
      const current = await platform.currentDeployment(worker, env);
      const versions = current?.versions.map((v) => v.versionId) ?? [];
      if (versions.length === 0) return [];
      const script = scriptName(worker, env);
      const iso = { since: since.toISOString(), until: until.toISOString() };
      const [gql, tel, ...slower] = await Promise.all([
        api.graphql<{ viewer: { accounts: { workersInvocationsAdaptive?: InvocationsRow[] }[] } }>(INVOCATIONS_QUERY, {
          accountTag: accountId,
          scriptName: script,
          ...iso,
        }),
        api.analyticsSql<SqlJson>(telemetrySql(telemetryDataset, worker, versions, since, until)),
        ...slowerThanMs.map((b) =>
          api.analyticsSql<SqlJson>(slowerThanSql(telemetryDataset, worker, versions, since, until, b)),
        ),
      ]);
      const rows = gql.viewer.accounts.flatMap((a) => a.workersInvocationsAdaptive ?? []);
      const slowerMap = new Map(slowerThanMs.map((b, i) => [b, slowerThanCounts(slower[i] ?? {})]));
      return mergeVersionMetrics(versions, summariseInvocations(rows), summariseTelemetry(tel), slowerMap);
    },

    async extraSignals({
      worker,
      since,
      until = new Date(),
      env,
      queues,
      durableObjects,
    }: MetricsQuery & { queues: string[]; durableObjects: string[] }): Promise<ExtraSignals> {
      const iso = { since: since.toISOString(), until: until.toISOString() };
      const dlqMessages: Record<string, number> = {};
      for (const name of queues) {
        // A DLQ name counts what its source queues dead-lettered; a source queue name counts its own.
        const sources = sourcesOfDeadLetterQueue(name);
        let n = 0;
        for (const source of sources.length > 0 ? sources : [name]) {
          const q = await queueByName(source);
          const data = await api.graphql<QueueOpsData>(QUEUE_DLQ_QUERY, {
            accountTag: accountId,
            queueId: q.queue_id,
            ...iso,
          });
          n += dlqCount(data);
        }
        dlqMessages[name] = n;
      }
      const durableObjectErrorsByClass: Record<string, number> = {};
      if (durableObjects.length > 0) {
        const script = scriptName(worker, env);
        const namespaces = await api.account<{ id: string; script?: string; class?: string }[]>(
          "/workers/durable_objects/namespaces",
        );
        const wanted = namespaces.filter((n) => n.script === script && n.class && durableObjects.includes(n.class));
        for (const cls of durableObjects) durableObjectErrorsByClass[cls] = 0;
        if (wanted.length > 0) {
          const data = await api.graphql<DurableObjectsData>(DURABLE_OBJECTS_QUERY, {
            accountTag: accountId,
            namespaceIds: wanted.map((n) => n.id),
            ...iso,
          });
          const byNs = durableObjectErrors(data);
          for (const n of wanted) {
            if (n.class)
              durableObjectErrorsByClass[n.class] = (durableObjectErrorsByClass[n.class] ?? 0) + (byNs.get(n.id) ?? 0);
          }
        }
      }
      return { dlqMessages, durableObjectErrors: durableObjectErrorsByClass };
    },

    async replayDeadLetters(queue: string, options?: ReplayOptions) {
      const dlq = deadLetterQueueOf(queue);
      if (!dlq) {
        throw new BlastwallError(`${queue} has no dead_letter_queue in this project's wrangler configs`, {
          kind: "input",
          fix: `set "dead_letter_queue" on the consumer of ${queue}, or name the source queue (not the DLQ)`,
        });
      }
      return replayDlq(queue, dlq, options);
    },

    async pauseQueue(queue: string) {
      await runWrangler(["queues", "pause-delivery", queue], { cwd: resolve(projectDir) });
      return platform.queueState(queue);
    },

    async resumeQueue(queue: string) {
      await runWrangler(["queues", "resume-delivery", queue], { cwd: resolve(projectDir) });
      return platform.queueState(queue);
    },

    async queueState(queue: string): Promise<QueueState> {
      const q = await queueByName(queue);
      const deadLetterQueue = deadLetterQueueOf(queue);
      const until = new Date();
      const window = { since: new Date(until.getTime() - 5 * 60_000).toISOString(), until: until.toISOString() };
      const backlogFor = async (queueId: string) =>
        backlogOf(
          await api.graphql<QueueBacklogData>(QUEUE_BACKLOG_QUERY, { accountTag: accountId, queueId, ...window }),
        );
      const backlog = await backlogFor(q.queue_id);
      const dlqDepth = deadLetterQueue ? await backlogFor((await queueByName(deadLetterQueue)).queue_id) : undefined;
      return {
        queue,
        paused: q.settings?.delivery_paused === true,
        ...(backlog !== undefined ? { backlog } : {}),
        ...(deadLetterQueue ? { deadLetterQueue } : {}),
        ...(dlqDepth !== undefined ? { dlqDepth } : {}),
      };
    },

    async listFlags(): Promise<FlagState[]> {
      if (opsUrl) {
        const body = (await opsFetch("/flags")) as { flags?: AdminFlag[] };
        return (body.flags ?? []).map(flagFromAdmin);
      }
      if (flagsKvNamespaceId) {
        const keys = await api.account<{ name: string }[]>(`/storage/kv/namespaces/${flagsKvNamespaceId}/keys`, {
          query: { prefix: KV_PREFIX },
        });
        const out: FlagState[] = [];
        for (const k of keys) {
          const value = await api.accountText(
            `/storage/kv/namespaces/${flagsKvNamespaceId}/values/${encodeURIComponent(k.name)}`,
          );
          const name = flagNameOfKvKey(k.name);
          if (value !== undefined && name !== undefined) out.push({ name, value });
        }
        return out;
      }
      throw noFlagStore();
    },

    async setFlag(name: string, value: string, actor: string): Promise<FlagState> {
      if (opsUrl) {
        const body = (await opsFetch(`/flags/${encodeURIComponent(name)}`, {
          method: "PUT",
          body: JSON.stringify({ value, actor }),
        })) as { flag?: AdminFlag };
        if (!body.flag) throw new BlastwallError(`ops admin API did not return flag ${name}`, { kind: "failure" });
        return flagFromAdmin(body.flag);
      }
      if (flagsKvNamespaceId) {
        await api.account(
          `/storage/kv/namespaces/${flagsKvNamespaceId}/values/${encodeURIComponent(flagKvKey(name))}`,
          {
            method: "PUT",
            body: value,
          },
        );
        return { name, value, updatedAt: new Date().toISOString(), actor };
      }
      throw noFlagStore();
    },

    async listMigrations(worker: string, database: string): Promise<MigrationState[]> {
      return withD1Config(worker, database, async (_c, migrationsDir, table) => {
        let applied: { name: string; applied_at?: string }[] = [];
        try {
          applied = await d1Query(worker, database, `SELECT name, applied_at FROM ${table} ORDER BY id`);
        } catch (err) {
          if (!(err instanceof CloudflareApiError && /no such table/i.test(err.message))) throw err;
        }
        const appliedAt = new Map(applied.map((r) => [r.name, r.applied_at]));
        const names = [...new Set([...applied.map((r) => r.name), ...migrationFiles(migrationsDir, migrationOrder)])];
        return names.map((name) => {
          const at = appliedAt.get(name);
          return appliedAt.has(name)
            ? { name, applied: true, ...(at ? { appliedAt: at } : {}) }
            : { name, applied: false };
        });
      });
    },

    async applyMigrations(worker: string, database: string, { upTo }: { upTo?: string } = {}) {
      const before = await platform.listMigrations(worker, database);
      const pending = before.filter((m) => !m.applied).map((m) => m.name);
      if (upTo && !pending.includes(upTo) && !before.some((m) => m.name === upTo)) {
        throw new UsageError(`no migration named ${upTo}`, `pending: ${pending.join(", ") || "none"}`);
      }
      const stop = upTo ? pending.indexOf(upTo) : pending.length - 1;
      if (stop < 0 || pending.length === 0) return [];
      const wanted = new Set(pending.slice(0, stop + 1));
      const appliedNames = new Set(before.filter((m) => m.applied).map((m) => m.name));
      await withD1Config(
        worker,
        database,
        async (configPath, _dir, _table, dbName) => {
          await runWrangler(["d1", "migrations", "apply", dbName, "--remote", "--config", configPath], {
            cwd: dirname(configPath),
          });
        },
        (files) => files.filter((f) => appliedNames.has(f) || wanted.has(f)),
      );
      const after = await platform.listMigrations(worker, database);
      return after.filter((m) => m.applied && wanted.has(m.name)).map((m) => m.name);
    },

    async createRestorePoint(worker: string, database: string, beforeMigration?: string): Promise<RestorePoint> {
      const bookmark = await withD1Config(worker, database, async (configPath, _d, _t, dbName) => {
        const { stdout } = await runWrangler(["d1", "time-travel", "info", dbName, "--json", "--config", configPath], {
          cwd: dirname(configPath),
        });
        const parsed = JSON.parse(stdout.slice(Math.max(0, stdout.indexOf("{")))) as { bookmark?: unknown };
        if (typeof parsed.bookmark !== "string") {
          throw new BlastwallError(`wrangler d1 time-travel info ${dbName} returned no bookmark`, { kind: "failure" });
        }
        return parsed.bookmark;
      });
      const current = await platform.currentDeployment(worker);
      if (!current) {
        throw new BlastwallError(`${worker} has no deployment to record the restore point in`, {
          kind: "failure",
          fix: "deploy the Worker once (wrangler deploy) before releasing migrations with blastwall",
        });
      }
      // Re-deploying the split in force changes no traffic; it writes the bookmark where the platform keeps history.
      const recorded = await platform.deploy(worker, current.versions, {
        message: formatRestorePoint({ database, bookmark, beforeMigration }),
      });
      return {
        database,
        bookmark,
        createdAt: recorded.createdAt,
        ...(beforeMigration ? { beforeMigration } : {}),
      };
    },

    async listRestorePoints(worker: string, database: string): Promise<RestorePoint[]> {
      const ds = await apiDeployments(worker);
      return ds.flatMap((d) => {
        const rp = parseRestorePoint(d.annotations?.["workers/message"]);
        return rp && rp.database === database ? [{ ...rp, createdAt: d.created_on }] : [];
      });
    },

    async restore(worker: string, database: string, bookmark: string): Promise<void> {
      await withD1Config(worker, database, async (configPath, _d, _t, dbName) => {
        await runWrangler(
          ["d1", "time-travel", "restore", dbName, "--bookmark", bookmark, "--json", "--config", configPath],
          { cwd: dirname(configPath) },
        );
      });
    },
  };
  return platform;
}

/** The API's "this Worker does not exist" code. */
const WORKER_NOT_FOUND = 10007;

function noFlagStore(): BlastwallError {
  return new BlastwallError("no flag store configured for the Cloudflare target", {
    kind: "input",
    fix: "set BLASTWALL_OPS_URL (the Worker serving /__blastwall/ops) or BLASTWALL_FLAGS_KV_ID",
  });
}

function migrationFiles(dir: string, order: MigrationOrder): string[] {
  try {
    return sortMigrations(
      readdirSync(dir).filter((f) => f.endsWith(".sql")),
      { order },
    );
  } catch {
    return [];
  }
}
