import type { ResolvedSmokeCheck } from "../project/blastwall-config.js";

/** Smoke checks against one version, pinned with Cloudflare's version-override header. */

export const VERSION_OVERRIDE_HEADER = "Cloudflare-Workers-Version-Overrides";

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
  worker: string;
  versionId: string;
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
  { baseUrl, worker, versionId, fetch: doFetch = fetch, signal }: SmokeOptions,
): Promise<SmokeResult> {
  const url = new URL(check.path, baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`).href;
  const timeout = AbortSignal.timeout(Math.max(5000, check.maxLatencyMs * 5));
  const t0 = performance.now();
  let status: number | undefined;
  let body = "";
  try {
    const res = await doFetch(url, {
      method: check.method,
      headers: { ...check.headers, [VERSION_OVERRIDE_HEADER]: versionOverride(worker, versionId) },
      ...(check.body !== undefined ? { body: check.body } : {}),
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      redirect: "manual",
    });
    status = res.status;
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
  const ok = problems.length === 0;
  const detail = ok
    ? `${status} in ${ms} ms ≤ ${check.maxLatencyMs} ms${check.bodyMatch !== undefined ? `, body has ${JSON.stringify(check.bodyMatch)}` : ""}`
    : problems.join("; ");
  return { name: check.name, ok, status, ms, detail };
}
