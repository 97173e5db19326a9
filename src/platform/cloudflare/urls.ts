import type { SmokeTarget } from "../platform.js";
import type { CloudflareContext } from "./context.js";
import type { CloudflareVersions } from "./versions.js";

async function accountSubdomain(ctx: CloudflareContext): Promise<string | undefined> {
  try {
    return (await ctx.api.account<{ subdomain?: string }>("/workers/subdomain")).subdomain;
  } catch {
    return undefined;
  }
}

async function scriptSubdomain(ctx: CloudflareContext, script: string) {
  try {
    return await ctx.api.account<{ enabled?: boolean; previews_enabled?: boolean }>(
      `/workers/scripts/${encodeURIComponent(script)}/subdomain`,
    );
  } catch {
    return {};
  }
}

/**
 * The Worker's workers.dev URL when workers.dev is on (`https://<script>.<subdomain>.workers.dev`).
 *
 * @example
 * await workerUrl(ctx, "shop-api", "staging"); // "https://shop-api-staging.acme.workers.dev"
 */
export async function workerUrl(ctx: CloudflareContext, worker: string, env?: string): Promise<string | undefined> {
  const script = ctx.scriptName(worker, env);
  const [sub, flags] = await Promise.all([accountSubdomain(ctx), scriptSubdomain(ctx, script)]);
  return sub && flags.enabled ? `https://${script}.${sub}.workers.dev` : undefined;
}

/**
 * Smoke checks go to the version's preview URL (`https://<first 8 of id>-<script>.<subdomain>.workers.dev`) when
 * the Worker has preview URLs: no override to wait for, and no other version can answer. Otherwise to the Worker's
 * URL with the override header naming the script.
 */
export async function smokeTarget(
  ctx: CloudflareContext,
  versions: CloudflareVersions,
  worker: string,
  versionId: string,
  env?: string,
): Promise<SmokeTarget> {
  const script = ctx.scriptName(worker, env);
  const [sub, flags, version] = await Promise.all([
    accountSubdomain(ctx),
    scriptSubdomain(ctx, script),
    versions.getVersion(worker, env, versionId).catch(() => undefined),
  ]);
  const hasPreview = version?.metadata?.has_preview ?? version?.metadata?.hasPreview ?? false;
  if (sub && flags.previews_enabled && hasPreview) {
    return { baseUrl: `https://${versionId.slice(0, 8)}-${script}.${sub}.workers.dev`, preview: true };
  }
  return {
    baseUrl: sub && flags.enabled ? `https://${script}.${sub}.workers.dev` : undefined,
    overrideName: script,
    preview: false,
  };
}
