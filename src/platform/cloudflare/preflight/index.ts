import { BlastwallError } from "../../../core/errors.js";
import type { WorkerSettings } from "../../../project/wrangler-config.js";
import type { CloudflareApi } from "../api.js";
import { CloudflareApiError } from "../api.js";

/**
 * Pre-flight checks for the Cloudflare target. Each one asks the platform before a change is made and fails
 * early with the reason and the fix, instead of letting the API refuse halfway through (10211, 10220) or, worse,
 * letting wrangler answer its own prompt with "yes" in CI: `wrangler rollback` re-sends a refused rollback with
 * `force=true` when secrets changed, so this check is the only thing that stops it.
 */

export type PreflightCheck = "pending-do-migration" | "secrets-changed" | "bindings-deleted";

export interface PreflightFailure {
  check: PreflightCheck;
  /** The API error this check predicts. */
  code?: number;
  reason: string;
  fix: string;
}

/** One or more pre-flight checks failed; `failures` says which and why. */
export class PreflightError extends BlastwallError {
  readonly failures: PreflightFailure[];
  constructor(failures: PreflightFailure[]) {
    const first = failures[0];
    super(failures.map((f) => `pre-flight ${f.check}${f.code ? ` (error ${f.code})` : ""}: ${f.reason}`).join("\n"), {
      kind: "failure",
      fix: failures.map((f) => f.fix).join("; ") || first?.fix,
    });
    this.name = "PreflightError";
    this.failures = failures;
  }
}

/** What the checks need from the API: the account-scoped REST calls only. */
export type PreflightApi = Pick<CloudflareApi, "account">;

interface ScriptListItem {
  id: string;
  migration_tag?: string;
}

interface ApiVersionSummary {
  id: string;
  metadata?: { created_on?: string };
  annotations?: Record<string, string>;
}

interface ApiVersionDetail extends ApiVersionSummary {
  resources?: { bindings?: Record<string, unknown>[] };
}

function tagOf(tag: unknown): string {
  return typeof tag === "string" ? tag : JSON.stringify(tag);
}

/**
 * A Durable Object migration in the config that the deployed script has not applied. `versions upload` cannot
 * carry it (error 10211): it has to go out with `wrangler deploy`, in a release of its own.
 *
 * @example
 * const failure = await checkPendingDurableObjectMigration(api, "shop-api", config);
 */
export async function checkPendingDurableObjectMigration(
  api: PreflightApi,
  scriptName: string,
  settings: Pick<WorkerSettings, "migrations">,
): Promise<PreflightFailure | undefined> {
  const last = settings.migrations.at(-1);
  if (!last) return undefined;
  const lastTag = tagOf(last.tag);
  const scripts = await api.account<ScriptListItem[]>("/workers/scripts");
  const remote = scripts.find((s) => s.id === scriptName)?.migration_tag;
  if (remote === lastTag) return undefined;
  const pending = remote
    ? settings.migrations.slice(settings.migrations.findIndex((m) => tagOf(m.tag) === remote) + 1)
    : settings.migrations;
  return {
    check: "pending-do-migration",
    code: 10211,
    reason: `${scriptName} has a Durable Object migration that is not applied yet (${pending
      .map((m) => tagOf(m.tag))
      .join(", ")}; deployed tag: ${remote ?? "none"}), and \`versions upload\` cannot carry it`,
    fix: "ship it with `wrangler deploy`, in a release of its own, then upload code changes as versions",
  };
}

function secretNames(v: ApiVersionDetail): Set<string> {
  return new Set(
    (v.resources?.bindings ?? [])
      .filter((b) => b.type === "secret_text" || b.type === "secret_key")
      .map((b) => String(b.name)),
  );
}

/**
 * Secrets changed since the rollback target (error 10220). A secret change makes a version of its own
 * (`workers/triggered_by: secret`), and added or removed secrets show in the versions' bindings. The plain versions
 * list carries no annotations; `?deployable=true` answers full versions, as wrangler reads them.
 */
export async function checkSecretsChangedSince(
  api: PreflightApi,
  scriptName: string,
  targetVersionId: string,
  currentVersionId: string | undefined,
): Promise<PreflightFailure | undefined> {
  const base = `/workers/scripts/${encodeURIComponent(scriptName)}/versions`;
  const { items } = await api.account<{ items: ApiVersionSummary[] }>(base, { query: { deployable: "true" } });
  const target = await api.account<ApiVersionDetail>(`${base}/${targetVersionId}`);
  const targetTime = target.metadata?.created_on ?? "";
  const secretVersions = items.filter(
    (v) => v.annotations?.["workers/triggered_by"] === "secret" && (v.metadata?.created_on ?? "") > targetTime,
  );
  const changedNames = new Set<string>();
  if (currentVersionId && currentVersionId !== targetVersionId) {
    const current = await api.account<ApiVersionDetail>(`${base}/${currentVersionId}`);
    const a = secretNames(target);
    const b = secretNames(current);
    for (const n of a) if (!b.has(n)) changedNames.add(n);
    for (const n of b) if (!a.has(n)) changedNames.add(n);
  }
  if (secretVersions.length === 0 && changedNames.size === 0) return undefined;
  const parts: string[] = [];
  if (changedNames.size > 0) parts.push(`secrets added or removed: ${[...changedNames].sort().join(", ")}`);
  if (secretVersions.length > 0) {
    parts.push(
      `secret changes after it: ${secretVersions.map((v) => `${v.id} (${v.metadata?.created_on ?? "?"})`).join(", ")}`,
    );
  }
  return {
    check: "secrets-changed",
    code: 10220,
    reason: `secrets changed since the rollback target ${targetVersionId}: ${parts.join("; ")}`,
    fix: "check the target still works with today's secrets, then roll back with --force --message '<why>', or roll forward",
  };
}

/** Where a version's binding points, and how to ask whether that resource still exists. */
function resourcePath(
  b: Record<string, unknown>,
): { label: string; path: string; query?: Record<string, string>; headers?: Record<string, string> } | undefined {
  const name = String(b.name ?? "");
  if (b.type === "kv_namespace" && typeof b.namespace_id === "string") {
    return { label: `KV ${name} (${b.namespace_id})`, path: `/storage/kv/namespaces/${b.namespace_id}` };
  }
  // `id` is the deprecated name of `database_id`.
  const d1 = typeof b.database_id === "string" ? b.database_id : typeof b.id === "string" ? b.id : undefined;
  if (b.type === "d1" && d1) return { label: `D1 ${name} (${d1})`, path: `/d1/database/${d1}` };
  if (b.type === "r2_bucket" && typeof b.bucket_name === "string") {
    // A bucket in the EU or FedRAMP jurisdiction is found only when the request names it.
    const jurisdiction = typeof b.jurisdiction === "string" ? b.jurisdiction : undefined;
    return {
      label: `R2 ${name} (${b.bucket_name}${jurisdiction ? `, ${jurisdiction}` : ""})`,
      path: `/r2/buckets/${encodeURIComponent(b.bucket_name)}`,
      ...(jurisdiction ? { headers: { "cf-r2-jurisdiction": jurisdiction } } : {}),
    };
  }
  if (b.type === "queue" && typeof b.queue_name === "string") {
    return { label: `queue ${name} (${b.queue_name})`, path: "/queues", query: { name: b.queue_name } };
  }
  return undefined;
}

/** True when the token may not read it (401/403) or the API gave no answer in time: the check cannot tell. */
function unreadable(err: unknown): err is CloudflareApiError {
  return err instanceof CloudflareApiError && (err.unreadable || err.status >= 500 || err.status === 429);
}

/** Whether one bound resource is gone: true, false, or undefined when the token cannot read it (a warning). */
async function resourceGone(
  api: PreflightApi,
  r: NonNullable<ReturnType<typeof resourcePath>>,
  warn: (message: string) => void,
): Promise<boolean | undefined> {
  try {
    const found = await api.account<unknown>(r.path, {
      ...(r.query ? { query: r.query } : {}),
      ...(r.headers ? { headers: r.headers } : {}),
    });
    return Boolean(r.query && Array.isArray(found) && found.length === 0);
  } catch (err) {
    if (err instanceof CloudflareApiError && err.status === 404) return true;
    if (!unreadable(err)) throw err;
    warn(`pre-flight bindings-deleted could not check ${r.label}: ${err.message}`);
    return undefined;
  }
}

/**
 * Bindings of the rollback target whose resource has been deleted since: Cloudflare refuses a rollback to a
 * version bound to a KV namespace, R2 bucket, D1 database or queue that no longer exists. A resource the token may not
 * read (the documented scopes do not include KV or R2 reads) is reported through `warn` and skipped: a pre-flight
 * must never block a rollback it cannot judge.
 */
export async function checkBindingsDeletedSince(
  api: PreflightApi,
  scriptName: string,
  targetVersionId: string,
  warn: (message: string) => void = () => {},
): Promise<PreflightFailure | undefined> {
  const target = await api.account<ApiVersionDetail>(
    `/workers/scripts/${encodeURIComponent(scriptName)}/versions/${targetVersionId}`,
  );
  const missing: string[] = [];
  for (const b of target.resources?.bindings ?? []) {
    const r = resourcePath(b);
    if (r && (await resourceGone(api, r, warn))) missing.push(r.label);
  }
  if (missing.length === 0) return undefined;
  return {
    check: "bindings-deleted",
    reason: `the rollback target ${targetVersionId} is bound to resources deleted since: ${missing.join(", ")}`,
    fix: "recreate those resources (same ids are not possible, so upload a fixed version bound to new ones) or roll forward",
  };
}

/** Upload check; throws PreflightError when a DO migration is pending. */
export async function assertUploadPreflight(
  api: PreflightApi,
  scriptName: string,
  settings: Pick<WorkerSettings, "migrations">,
): Promise<void> {
  const failure = await checkPendingDurableObjectMigration(api, scriptName, settings);
  if (failure) throw new PreflightError([failure]);
}
