import type { ResolvedSmokeCheck } from "../project/blastwall-config.js";

/** Smoke checks against one version, pinned with Cloudflare's version-override header. */

export const VERSION_OVERRIDE_HEADER = "Cloudflare-Workers-Version-Overrides";

/** The response header naming the version that answered (the local edge sets it; a Worker may set it too). */
export const ANSWERED_BY_HEADER = "x-blastwall-version";

/** The header value: a Structured Fields dictionary, worker name → version id as a string. */
export function versionOverride(worker: string, versionId: string): string {
  return `${worker}="${versionId.replace(/["\\]/g, "")}"`;
}

export interface SmokeResult {
  name: string;
  ok: boolean;
  status: number | undefined;
  ms: number;
  /** The numbers behind the result, e.g. "201 in 38 ms ≤ 2000 ms, body has \"id\"". */
  detail: string;
}

function bodyMatches(body: string, match: string): boolean {
  const re = /^\/(.*)\/([a-z]*)$/s.exec(match);
  return re ? new RegExp(re[1] ?? "", re[2]).test(body) : body.includes(match);
}

export interface SmokeOptions {
  baseUrl: string;
  /** The name the override header uses (`<name>-<env>` in a Cloudflare environment). */
  worker: string;
  versionId: string;
  /** `baseUrl` is the version's own preview URL: send no override header. */
  preview?: boolean;
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

/**
 * Sends one smoke check to `versionId` and judges status, body and latency.
 *
 * @example
 * const r = await runSmokeCheck(check, { baseUrl: "http://127.0.0.1:8787", worker: "shop-api", versionId });
 * r.ok; // false → the candidate never receives traffic
 */
export async function runSmokeCheck(
  check: ResolvedSmokeCheck,
  { baseUrl, worker, versionId, preview = false, fetch: doFetch = fetch, signal }: SmokeOptions,
): Promise<SmokeResult> {
  const url = new URL(check.path, baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`).href;
  const timeout = AbortSignal.timeout(Math.max(5000, check.maxLatencyMs * 5));
  const t0 = performance.now();
  let status: number | undefined;
  let answeredBy: string | undefined;
  let body = "";
  try {
    const res = await doFetch(url, {
      method: check.method,
      headers: preview
        ? check.headers
        : { ...check.headers, [VERSION_OVERRIDE_HEADER]: versionOverride(worker, versionId) },
      ...(check.body !== undefined ? { body: check.body } : {}),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      redirect: "manual",
    });
    status = res.status;
    answeredBy = res.headers.get(ANSWERED_BY_HEADER) ?? undefined;
    body = await res.text();
  } catch (err) {
    const ms = Math.round(performance.now() - t0);
    return {
      name: check.name,
      ok: false,
      status,
      ms,
      detail: `request failed after ${ms} ms: ${(err as Error).message}`,
    };
  }
  const ms = Math.round(performance.now() - t0);
  const problems: string[] = [];
  if (!check.expectStatus.includes(status))
    problems.push(`status ${status}, expected ${check.expectStatus.join(" or ")}`);
  if (check.bodyMatch !== undefined && !bodyMatches(body, check.bodyMatch)) {
    problems.push(`body lacks ${JSON.stringify(check.bodyMatch)} (got ${JSON.stringify(body.slice(0, 80))})`);
  }
  if (ms > check.maxLatencyMs) problems.push(`${ms} ms > ${check.maxLatencyMs} ms`);
  // A pass from the stable version proves nothing about the candidate.
  if (answeredBy !== undefined && answeredBy !== versionId)
    problems.push(`answered by ${answeredBy}, not ${versionId}`);
  const ok = problems.length === 0;
  const detail = ok
    ? `${status} in ${ms} ms ≤ ${check.maxLatencyMs} ms${check.bodyMatch !== undefined ? `, body has ${JSON.stringify(check.bodyMatch)}` : ""}`
    : problems.join("; ");
  return { name: check.name, ok, status, ms, detail };
}

export interface WaitForVersionOptions extends SmokeOptions {
  /** Path to probe (GET), e.g. the first smoke check's. */
  path: string;
  /** Give up after this long. Default 60 s: Cloudflare applies a new deployment's overrides within seconds. */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Waits until requests with the override reach `versionId`: a deployment's overrides take seconds to apply, and
 * a smoke check sent before that tests the stable version. "verified" once the answering version (`x-blastwall-version`)
 * is the candidate; "unverifiable" when the Worker does not say which version answered; "timeout" otherwise.
 *
 * @example
 * const r = await waitForVersion({ baseUrl, worker: "shop-api-staging", versionId, path: "/healthz" });
 */
export async function waitForVersion({
  baseUrl,
  worker,
  versionId,
  path,
  preview = false,
  timeoutMs = 60_000,
  fetch: doFetch = fetch,
  sleep = (ms) => new Promise((r) => setTimeout(r, ms)),
  signal,
}: WaitForVersionOptions): Promise<"verified" | "unverifiable" | "timeout"> {
  const url = new URL(path, baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`).href;
  const headers: Record<string, string> = preview
    ? {}
    : { [VERSION_OVERRIDE_HEADER]: versionOverride(worker, versionId) };
  for (let waited = 0, wait = 250; waited <= timeoutMs; waited += wait, wait = Math.min(wait * 2, 5_000)) {
    const res = await doFetch(url, {
      headers,
      signal: signal ?? AbortSignal.timeout(10_000),
      redirect: "manual",
    }).catch(() => undefined);
    await res?.body?.cancel();
    const answeredBy = res?.headers.get(ANSWERED_BY_HEADER);
    if (res && answeredBy === null) return "unverifiable";
    if (answeredBy === versionId) return "verified";
    await sleep(wait);
  }
  return "timeout";
}
