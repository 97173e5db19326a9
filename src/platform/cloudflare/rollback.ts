import { BlastwallError, UsageError } from "../../core/errors.js";
import type { Deployment, RollbackOptions } from "../platform.js";
import { CloudflareApiError } from "./api.js";
import type { CloudflareContext } from "./context.js";
import { assertNotDispatchScript } from "./dispatch.js";
import { immediateDurableObjectsArgs } from "./durable-objects-update.js";
import { type ApiDeployment, clampMessage, toDeployment } from "./model.js";
import {
  checkBindingsDeletedSince,
  checkSecretsChangedSince,
  PreflightError,
  type PreflightFailure,
} from "./preflight/index.js";
import type { CloudflareVersions } from "./versions.js";

/** RollbackOptions plus the older name of `force`. */
export interface CloudflareRollbackOptions extends RollbackOptions {
  /** @deprecated the same as `force`. */
  allowChangedSecrets?: boolean;
}

/** Wrangler's rule (the newest earlier deployment in which one version served 100%), minus versions serving now. */
function defaultTarget(current: ApiDeployment | undefined, older: ApiDeployment[]): string | undefined {
  const serving = new Set(current?.versions.filter((v) => v.percentage === 100).map((v) => v.version_id));
  return older.flatMap((d) => d.versions.filter((v) => v.percentage === 100 && !serving.has(v.version_id)))[0]
    ?.version_id;
}

function rollbackMessage(message: string | undefined): string {
  return clampMessage(
    message ? (/^rollback\b/i.test(message) ? message : `rollback: ${message}`) : "rollback (blastwall)",
  );
}

/**
 * Runs one read-only pre-flight check. A check that cannot read what it needs (401/403, timeout, an API that stays
 * down) must not block a rollback: it warns, and the rollback goes on.
 */
async function tolerant(
  ctx: CloudflareContext,
  name: string,
  check: () => Promise<PreflightFailure | undefined>,
): Promise<PreflightFailure | undefined> {
  try {
    return await check();
  } catch (err) {
    if (!(err instanceof CloudflareApiError && (err.unreadable || err.status >= 500 || err.status === 429))) throw err;
    ctx.warn(`pre-flight ${name} skipped: ${err.message}`);
    return undefined;
  }
}

async function preflight(
  ctx: CloudflareContext,
  script: string,
  target: string,
  current: string | undefined,
  force: boolean,
): Promise<void> {
  const failures = (
    await Promise.all([
      tolerant(ctx, "secrets-changed", () => checkSecretsChangedSince(ctx.api, script, target, current)),
      tolerant(ctx, "bindings-deleted", () => checkBindingsDeletedSince(ctx.api, script, target, ctx.warn)),
    ])
  ).filter((f): f is PreflightFailure => f !== undefined);
  if (failures.length === 0) return;
  if (!force) throw new PreflightError(failures);
  for (const f of failures) ctx.warn(`pre-flight ${f.check} overridden with --force: ${f.reason}`);
}

/** `wrangler rollback`, and if that fails for any reason, the same split through `versions deploy <id>@100`. */
async function sendRollback(ctx: CloudflareContext, worker: string, env: string | undefined, id: string, text: string) {
  const t = ctx.target(worker, env);
  // Newer wrangler defers Durable Objects' move to the rolled-back code by up to 300 s; a rollback wants it now.
  const now = immediateDurableObjectsArgs(ctx.wranglerVersion);
  try {
    await ctx.wranglerRetrying(["rollback", id, "--yes", "--message", text, ...now, ...t.args], { cwd: t.cwd });
  } catch (err) {
    if (!(err instanceof BlastwallError)) throw err;
    ctx.warn(`wrangler rollback failed (${err.message}); deploying ${id}@100 with versions deploy instead`);
    await ctx.wranglerRetrying(["versions", "deploy", `${id}@100`, "--yes", "--message", text, ...now, ...t.args], {
      cwd: t.cwd,
    });
  }
}

/**
 * Rollback that nothing can block: a version still in the split in force (the release engine's automatic abort)
 * goes back to 100% through `versions deploy`, which needs no pre-flight; otherwise the pre-flight runs, tolerating
 * what it cannot read, and `wrangler rollback` falls back to `versions deploy <id>@100`.
 *
 * @example
 * await rollbackWorker(ctx, versions, "shop-api", { to: "4f2a91c0", message: "5xx spike", force: true });
 */
export async function rollbackWorker(
  ctx: CloudflareContext,
  versions: CloudflareVersions,
  worker: string,
  { to, message, env, force = false, allowChangedSecrets = false }: CloudflareRollbackOptions = {},
): Promise<Deployment> {
  if (force && !message) throw new UsageError("--force needs a reason", "add --message '<why this is safe>'");
  const script = ctx.scriptName(worker, env);
  const [current, ...older] = await versions.apiDeployments(worker, env);
  // Workers for Platforms user Workers have no deployments: say so, rather than "nothing to roll back to".
  if (!current) await assertNotDispatchScript(ctx, script);
  const targetId = to ? await versions.resolveVersionId(worker, to, env) : defaultTarget(current, older);
  if (!targetId) {
    throw new BlastwallError(`no earlier version of ${script} served 100% of traffic`, {
      kind: "failure",
      fix: "name the version to return to: blastwall rollback --worker <w> --to <version-id>",
    });
  }
  const text = rollbackMessage(message);
  const inForce = current?.versions.some((v) => v.version_id === targetId) ?? false;
  if (inForce) {
    await versions.deploy(worker, [{ versionId: targetId, percentage: 100 }], {
      message: text,
      applyTriggers: false,
      immediateDurableObjects: true,
      ...(env ? { env } : {}),
    });
  } else {
    const serving = current
      ? [...current.versions].sort((a, b) => b.percentage - a.percentage)[0]?.version_id
      : undefined;
    await preflight(ctx, script, targetId, serving, force || allowChangedSecrets);
    await sendRollback(ctx, worker, env, targetId, text);
  }
  const [d] = await versions.apiDeployments(worker, env);
  if (!d) throw new BlastwallError(`rollback of ${script} left no deployment`, { kind: "failure" });
  return { ...toDeployment(worker, d), kind: "rollback" as const };
}
