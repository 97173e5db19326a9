import { BlastwallError } from "../../core/errors.js";
import { redact } from "./redact.js";

/** One entry of the `errors` array in the API's `{ success, errors, messages, result }` envelope. */
export interface ApiErrorDetail {
  code: number;
  message: string;
}

/** A failed Cloudflare API call. `code` is the first API error code (e.g. 10220), when the API gave one. */
export class CloudflareApiError extends BlastwallError {
  readonly status: number;
  readonly code: number | undefined;
  readonly path: string;
  constructor(path: string, status: number, errors: ApiErrorDetail[], secrets: readonly (string | undefined)[]) {
    const detail = errors.map((e) => `${e.message} [code: ${e.code}]`).join("; ") || `HTTP ${status}`;
    super(redact(`Cloudflare API ${path} failed: ${detail}`, secrets), {
      kind: "failure",
      fix:
        status === 401 || status === 403
          ? "check that CLOUDFLARE_API_TOKEN is valid and has access to CLOUDFLARE_ACCOUNT_ID"
          : undefined,
    });
    this.name = "CloudflareApiError";
    this.status = status;
    this.code = errors[0]?.code;
    this.path = path;
  }
}

export interface CloudflareApiOptions {
  accountId: string;
  apiToken: string;
  /** Defaults to https://api.cloudflare.com/client/v4; contract tests point it at a loopback server. */
  baseUrl?: string;
  fetch?: typeof fetch;
}

export interface CloudflareApi {
  readonly accountId: string;
  /** Calls `/accounts/<id><path>` and returns `result` from the envelope, or throws CloudflareApiError. */
  account<T>(path: string, init?: { method?: string; body?: string; query?: Record<string, string> }): Promise<T>;
  /** Calls an account path that answers raw bytes (KV values); undefined on 404. */
  accountText(path: string): Promise<string | undefined>;
  /** POST /graphql; returns `data`, or throws with the GraphQL errors' messages. */
  graphql<T>(query: string, variables: Record<string, unknown>): Promise<T>;
  /** POST /accounts/<id>/analytics_engine/sql; returns the `FORMAT JSON` document. */
  analyticsSql<T>(sql: string): Promise<T>;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function errorsOf(body: unknown): ApiErrorDetail[] {
  if (!isRecord(body) || !Array.isArray(body.errors)) return [];
  return body.errors.filter(isRecord).map((e) => ({
    code: typeof e.code === "number" ? e.code : 0,
    message: typeof e.message === "string" ? e.message : JSON.stringify(e),
  }));
}

/**
 * A small client for the Cloudflare REST, GraphQL and Analytics Engine SQL APIs. The token only ever goes into
 * the Authorization header; every error is redacted.
 *
 * @example
 * const api = createCloudflareApi({ accountId, apiToken });
 * const { deployments } = await api.account<{ deployments: unknown[] }>("/workers/scripts/shop-api/deployments");
 */
export function createCloudflareApi({
  accountId,
  apiToken,
  baseUrl = "https://api.cloudflare.com/client/v4",
  fetch: doFetch = fetch,
}: CloudflareApiOptions): CloudflareApi {
  const secrets = [apiToken];
  const root = baseUrl.replace(/\/+$/, "");
  const call = async (path: string, init: { method?: string; body?: string; contentType?: string } = {}) => {
    let res: Response;
    try {
      res = await doFetch(`${root}${path}`, {
        method: init.method ?? "GET",
        headers: {
          authorization: `Bearer ${apiToken}`,
          ...(init.body !== undefined ? { "content-type": init.contentType ?? "application/json" } : {}),
        },
        body: init.body,
      });
    } catch (err) {
      throw new BlastwallError(redact(`cannot reach the Cloudflare API at ${root}: ${String(err)}`, secrets), {
        kind: "failure",
        fix: "check the network, or CLOUDFLARE_API_BASE_URL if you set it",
      });
    }
    return res;
  };
  const parse = async (path: string, res: Response): Promise<unknown> => {
    const text = await res.text();
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new CloudflareApiError(
        path,
        res.status,
        [{ code: 0, message: `not JSON: ${text.slice(0, 200)}` }],
        secrets,
      );
    }
  };
  const accountPath = (path: string, query?: Record<string, string>) =>
    `/accounts/${accountId}${path}${query ? `?${new URLSearchParams(query)}` : ""}`;

  return {
    accountId,
    async account<T>(path: string, init: { method?: string; body?: string; query?: Record<string, string> } = {}) {
      const full = accountPath(path, init.query);
      const res = await call(full, init);
      const body = await parse(full, res);
      if (!isRecord(body) || body.success !== true)
        throw new CloudflareApiError(full, res.status, errorsOf(body), secrets);
      return body.result as T;
    },
    async accountText(path: string) {
      const full = accountPath(path);
      const res = await call(full);
      if (res.status === 404) return undefined;
      if (!res.ok) throw new CloudflareApiError(full, res.status, errorsOf(await parse(full, res)), secrets);
      return res.text();
    },
    async graphql<T>(query: string, variables: Record<string, unknown>) {
      const res = await call("/graphql", { method: "POST", body: JSON.stringify({ query, variables }) });
      const body = await parse("/graphql", res);
      const errors = isRecord(body) && Array.isArray(body.errors) ? body.errors.filter(isRecord) : [];
      if (!res.ok || errors.length > 0 || !isRecord(body) || !isRecord(body.data)) {
        const detail = errors.map((e) => ({ code: 0, message: String(e.message ?? JSON.stringify(e)) }));
        throw new CloudflareApiError("/graphql", res.status, detail, secrets);
      }
      return body.data as T;
    },
    async analyticsSql<T>(sql: string) {
      const full = accountPath("/analytics_engine/sql");
      const res = await call(full, { method: "POST", body: sql, contentType: "text/plain" });
      const body = await parse(full, res);
      if (!res.ok) throw new CloudflareApiError(full, res.status, errorsOf(body), secrets);
      return body as T;
    },
  };
}
