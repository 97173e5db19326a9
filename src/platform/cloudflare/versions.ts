import { dirname, resolve } from "node:path";
import { BlastwallError } from "../../core/errors.js";
import { assertSplit } from "../../core/split.js";
import { loadWranglerConfig } from "../../project/wrangler-config.js";
import type { Deployment, DeployOptions, SplitEntry, UploadVersionOptions, VersionInfo } from "../platform.js";
import type { CloudflareContext } from "./context.js";
import { isWorkerNotFound } from "./context.js";
import { immediateDurableObjectsArgs } from "./durable-objects-update.js";
import {
  type ApiDeployment,
  type ApiVersion,
  clampMessage,
  FULL_VERSION_ID,
  newestFirst,
  toDeployment,
  toVersionInfo,
} from "./model.js";
import { assertUploadPreflight, PreflightError } from "./preflight/index.js";
import { WranglerError } from "./wrangler.js";

/** Options of `deploy` on Cloudflare. */
export interface CloudflareDeployOptions extends DeployOptions {
  /** Apply routes, custom domains and crons (`wrangler triggers deploy`) once one version serves 100%. Default true. */
  applyTriggers?: boolean;
  /** Move Durable Objects to the new code at once (a rollback), where the wrangler has the flag. Default false. */
  immediateDurableObjects?: boolean;
}

/** The versions-and-deployments capability of the Cloudflare target. */
export interface CloudflareVersions {
  uploadVersion(options: UploadVersionOptions): Promise<VersionInfo & { previewUrl?: string }>;
  listVersions(worker: string, env?: string): Promise<VersionInfo[]>;
  deploy(worker: string, split: SplitEntry[], options?: CloudflareDeployOptions): Promise<Deployment>;
  currentDeployment(worker: string, env?: string): Promise<Deployment | undefined>;
  listDeployments(worker: string, env?: string): Promise<Deployment[]>;
  /** A full version id for an id, an id prefix or a tag (`4f2a91c0`, `v2`); Cloudflare accepts full ids only. */
  resolveVersionId(worker: string, ref: string, env?: string): Promise<string>;
  /** The deployments, newest first, as the API lists them (the latest ~10 only). */
  apiDeployments(worker: string, env?: string): Promise<ApiDeployment[]>;
  getVersion(worker: string, env: string | undefined, id: string): Promise<ApiVersion>;
  durableObjectMigrationTag(worker: string, env?: string): Promise<string | undefined>;
}

const scriptPath = (ctx: CloudflareContext, worker: string, env: string | undefined) =>
  `/workers/scripts/${encodeURIComponent(ctx.scriptName(worker, env))}`;

/** Every version: the deployable ones carry annotations (tags, messages); older ones come from the paged list. */
async function allVersions(ctx: CloudflareContext, worker: string, env: string | undefined): Promise<ApiVersion[]> {
  const base = `${scriptPath(ctx, worker, env)}/versions`;
  const { items: deployable } = await ctx.api.account<{ items: ApiVersion[] }>(base, { query: { deployable: "true" } });
  const known = new Set(deployable.map((v) => v.id));
  const rest = (await ctx.api.accountPages<ApiVersion>(base)).filter((v) => !known.has(v.id));
  return [...deployable, ...rest].sort((a, b) => (b.number ?? 0) - (a.number ?? 0));
}

async function resolveVersionId(ctx: CloudflareContext, worker: string, ref: string, env?: string) {
  if (FULL_VERSION_ID.test(ref)) return ref.toLowerCase();
  const versions = await allVersions(ctx, worker, env);
  const byTag = versions.filter((v) => v.annotations?.["workers/tag"] === ref);
  const hits = byTag.length > 0 ? byTag : versions.filter((v) => v.id.startsWith(ref.toLowerCase()));
  const [only] = hits;
  if (hits.length === 1 && only) return only.id;
  throw new BlastwallError(
    hits.length === 0
      ? `no version of ${ctx.scriptName(worker, env)} has the id prefix or tag "${ref}"`
      : `"${ref}" matches ${hits.length} versions of ${ctx.scriptName(worker, env)}: ${hits.map((v) => v.id).join(", ")}`,
    {
      kind: "input",
      fix: "give more characters of the id, or the full id (blastwall versions list --target cloudflare)",
    },
  );
}

async function upload(ctx: CloudflareContext, versions: CloudflareVersions, o: UploadVersionOptions) {
  const { worker, configPath, tag, message, env, vars = {} } = o;
  const config = loadWranglerConfig(configPath);
  const e = ctx.envOf(env);
  const script = ctx.scriptName(worker, e);
  await assertUploadPreflight(ctx.api, script, ctx.settingsOf(config, e));
  const args = ["versions", "upload", "--config", resolve(configPath), ...(e ? ["--env", e] : [])];
  if (tag) args.push("--tag", tag);
  if (message) args.push("--message", clampMessage(message));
  for (const [k, v] of Object.entries(vars)) args.push("--var", `${k}:${v}`);
  try {
    const { entries } = await ctx.runWrangler(args, { cwd: dirname(resolve(configPath)) });
    const entry = entries.find((x) => x.type === "version-upload");
    const id = typeof entry?.version_id === "string" ? entry.version_id : undefined;
    if (!id)
      throw new BlastwallError(`wrangler versions upload for ${script} reported no version id`, { kind: "failure" });
    const previewUrl = typeof entry?.preview_url === "string" ? entry.preview_url : undefined;
    return {
      ...toVersionInfo(worker, await versions.getVersion(worker, e, id)),
      ...(previewUrl ? { previewUrl } : {}),
    };
  } catch (err) {
    if (!(err instanceof WranglerError && err.code === 10211)) throw err;
    throw new PreflightError([
      {
        check: "pending-do-migration",
        code: 10211,
        reason: `${script}: the API refused the upload because it carries a Durable Object migration`,
        fix: "ship it with `wrangler deploy`, in a release of its own",
      },
    ]);
  }
}

async function deploy(
  ctx: CloudflareContext,
  versions: CloudflareVersions,
  worker: string,
  split: SplitEntry[],
  { message, env, applyTriggers = true, immediateDurableObjects = false }: CloudflareDeployOptions = {},
): Promise<Deployment> {
  assertSplit(split);
  const full = await Promise.all(
    split.map(async (s) => ({ ...s, versionId: await versions.resolveVersionId(worker, s.versionId, env) })),
  );
  const t = ctx.target(worker, env);
  const args = ["versions", "deploy", ...full.map((s) => `${s.versionId}@${s.percentage}`), "--yes", ...t.args];
  if (message) args.push("--message", clampMessage(message));
  if (immediateDurableObjects) args.push(...immediateDurableObjectsArgs(ctx.wranglerVersion));
  const { entries } = await ctx.wranglerRetrying(args, { cwd: t.cwd });
  const entry = entries.find((x) => x.type === "version-deploy");
  const deploymentId = typeof entry?.deployment_id === "string" ? entry.deployment_id : undefined;
  const all = await versions.apiDeployments(worker, env);
  const d = (deploymentId ? all.find((x) => x.id === deploymentId) : undefined) ?? all[0];
  if (!d) throw new BlastwallError(`wrangler versions deploy for ${worker} left no deployment`, { kind: "failure" });
  // Routes, custom domains and crons are not part of a version: they apply only through `triggers deploy`.
  if (applyTriggers && full.length === 1 && ctx.configOf(worker)) {
    await ctx.wranglerRetrying(["triggers", "deploy", ...t.args], { cwd: t.cwd });
  }
  return toDeployment(worker, d);
}

async function listDeployments(ctx: CloudflareContext, worker: string, env?: string): Promise<Deployment[]> {
  const t = ctx.target(worker, env);
  let stdout: string;
  try {
    ({ stdout } = await ctx.wranglerRetrying(["deployments", "list", "--json", ...t.args], { cwd: t.cwd }));
  } catch (err) {
    if (isWorkerNotFound(err)) return [];
    throw err;
  }
  const start = stdout.indexOf("[");
  try {
    const parsed = JSON.parse(start >= 0 ? stdout.slice(start) : stdout) as ApiDeployment[];
    return newestFirst(parsed).map((d) => toDeployment(worker, d));
  } catch {
    throw new BlastwallError(`wrangler deployments list --json printed no JSON for ${worker}`, { kind: "failure" });
  }
}

/**
 * @example
 * const versions = createCloudflareVersions(ctx);
 * await versions.deploy("shop-api", [{ versionId: "v2", percentage: 10 }, { versionId: stable, percentage: 90 }]);
 */
export function createCloudflareVersions(ctx: CloudflareContext): CloudflareVersions {
  const versions: CloudflareVersions = {
    uploadVersion: (o) => upload(ctx, versions, o),
    listVersions: async (worker, env) => (await allVersions(ctx, worker, env)).map((v) => toVersionInfo(worker, v)),
    deploy: (worker, split, o) => deploy(ctx, versions, worker, split, o),
    async currentDeployment(worker, env) {
      const [d] = await versions.apiDeployments(worker, env);
      return d ? toDeployment(worker, d) : undefined;
    },
    listDeployments: (worker, env) => listDeployments(ctx, worker, env),
    resolveVersionId: (worker, ref, env) => resolveVersionId(ctx, worker, ref, env),
    async apiDeployments(worker, env) {
      try {
        const { deployments } = await ctx.api.account<{ deployments: ApiDeployment[] }>(
          `${scriptPath(ctx, worker, env)}/deployments`,
        );
        return newestFirst(deployments);
      } catch (err) {
        // A Worker that was never deployed has no history; that is an answer, not an error.
        if (isWorkerNotFound(err)) return [];
        throw err;
      }
    },
    getVersion: (worker, env, id) => ctx.api.account<ApiVersion>(`${scriptPath(ctx, worker, env)}/versions/${id}`),
    async durableObjectMigrationTag(worker, env) {
      const scripts = await ctx.api.account<{ id: string; migration_tag?: string }[]>("/workers/scripts");
      return scripts.find((s) => s.id === ctx.scriptName(worker, env))?.migration_tag;
    },
  };
  return versions;
}
