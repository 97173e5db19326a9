import { BlastwallError } from "../../core/errors.js";
import { isRecord } from "../../project/wrangler-config.js";
import { redact } from "./redact.js";
import { type Clock, createRetryPolicy, parseRetryAfter, type RetryPolicy, realClock, withRetries } from "./retry.js";

/** One entry of the `errors` array in the API's `{ success, errors, messages, result }` envelope. */
export interface ApiErrorDetail {
  code: number;
  message: string;
}

/** How a call failed: an HTTP answer, no answer in time, or no connection. */
export type ApiFailureKind = "http" | "timeout" | "network";

/** A failed Cloudflare API call. `code` is the first API error code (e.g. 10220), when the API gave one. */
export class CloudflareApiError extends BlastwallError {
  readonly status: number;
  readonly code: number | undefined;
  readonly path: string;
  readonly failureKind: ApiFailureKind;
  readonly retryAfterSeconds: number | undefined;
  constructor(
    path: string,
    status: number,
    errors: ApiErrorDetail[],
    secrets: readonly (string | undefined)[],
    { kind = "http", retryAfterSeconds }: { kind?: ApiFailureKind; retryAfterSeconds?: number } = {},
  ) {
    const detail = errors.map((e) => `${e.message} [code: ${e.code}]`).join("; ") || `HTTP ${status}`;
    super(redact(`Cloudflare API ${path} failed: ${detail}`, secrets), {
      kind: "failure",
      fix:
        status === 401 || status === 403
          ? "run `blastwall doctor --target cloudflare`: it names the token scope that is missing"
          : undefined,
    });
    this.name = "CloudflareApiError";
    this.status = status;
    this.code = errors[0]?.code;
    this.path = path;
    this.failureKind = kind;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** The token may not read this (401/403), or the API did not answer in time: a read-only check can go on. */
  get unreadable(): boolean {
    return this.status === 401 || this.status === 403 || this.failureKind !== "http";
  }
}

export interface CloudflareApiOptions {
  /** The account, or how to find it on first use (config `account_id`, or the only account the token sees). */
  accountId: string | (() => Promise<string>);
  apiToken: string;
  /** Defaults to https://api.cloudflare.com/client/v4; contract tests point it at a loopback server. */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Abort one attempt after this long (a hung socket must not stall a poll). Default 30 s. */
  timeoutMs?: number;
  /** Retries for 429 (honouring `Retry-After`), 5xx, timeouts and lost connections. */
  retry?: RetryPolicy;
  clock?: Clock;
}

export interface ApiRequest {
  method?: string;
  body?: string;
  /** A multipart body (KV values with metadata); fetch sets its content type. */
  form?: FormData;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /**
   * False for a call whose repeat has an effect (sending queue messages): it is then retried only on 429, which
   * the API answers before doing anything. Default: true.
   */
  idempotent?: boolean;
}

export interface CloudflareApi {
  /** The account every `/accounts/<id>` call goes to. */
  accountId(): Promise<string>;
  /** Calls `/accounts/<id><path>` and returns `result` from the envelope, or throws CloudflareApiError. */
  account<T>(path: string, init?: ApiRequest): Promise<T>;
  /** Every item of a page-numbered list (`result` an array, or `{ items }`), following `page` until it runs out. */
  accountPages<T>(path: string, init?: { query?: Record<string, string>; perPage?: number }): Promise<T[]>;
  /** Every item of a cursor-paginated list (`result_info.cursor`), e.g. KV keys. */
  accountCursor<T>(path: string, init?: { query?: Record<string, string> }): Promise<T[]>;
  /** Calls an account path that answers raw bytes (KV values); undefined on 404. */
  accountText(path: string): Promise<string | undefined>;
  /** Calls a path outside `/accounts/<id>` (e.g. `/user/tokens/verify`, `/accounts`). */
  root<T>(path: string, init?: ApiRequest): Promise<T>;
  /** POST /graphql; returns `data`, or throws with the GraphQL errors' messages. */
  graphql<T>(query: string, variables: Record<string, unknown>): Promise<T>;
  /** POST /accounts/<id>/analytics_engine/sql; returns the `FORMAT JSON` document. */
  analyticsSql<T>(sql: string): Promise<T>;
}

function errorsOf(body: unknown): ApiErrorDetail[] {
  if (!isRecord(body) || !Array.isArray(body.errors)) return [];
  return body.errors.filter(isRecord).map((e) => ({
    code: typeof e.code === "number" ? e.code : 0,
    message: typeof e.message === "string" ? e.message : JSON.stringify(e),
  }));
}

/** 429 always (nothing was done); 5xx, timeouts and lost connections when repeating the call is harmless. */
function classify(err: unknown, idempotent: boolean) {
  if (!(err instanceof CloudflareApiError)) return { retryable: false };
  if (err.status === 429) return { retryable: true, retryAfterSeconds: err.retryAfterSeconds };
  return { retryable: idempotent && (err.failureKind !== "http" || err.status >= 500) };
}

interface Transport {
  /** One attempt: the response, or a CloudflareApiError for a timeout, a lost connection or a 429/5xx. */
  send(path: string, init: ApiRequest & { contentType?: string }): Promise<Response>;
  /** The JSON body, or a CloudflareApiError naming what came back instead. */
  parse(path: string, res: Response): Promise<unknown>;
  secrets: readonly string[];
}

function createTransport(o: Required<Omit<CloudflareApiOptions, "accountId">>): Transport {
  const secrets = [o.apiToken];
  const root = o.baseUrl.replace(/\/+$/, "");
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
  const send = async (path: string, init: ApiRequest & { contentType?: string }) => {
    let res: Response;
    try {
      res = await o.fetch(`${root}${path}`, {
        method: init.method ?? "GET",
        headers: {
          authorization: `Bearer ${o.apiToken}`,
          ...(init.body !== undefined ? { "content-type": init.contentType ?? "application/json" } : {}),
          ...init.headers,
        },
        body: init.form ?? init.body,
        signal: AbortSignal.timeout(o.timeoutMs),
      });
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
      const message = timedOut ? `no answer within ${o.timeoutMs} ms` : `cannot reach ${root}: ${String(err)}`;
      throw new CloudflareApiError(path, 0, [{ code: 0, message }], secrets, {
        kind: timedOut ? "timeout" : "network",
      });
    }
    if (res.status === 429 || res.status >= 500) {
      const retryAfterSeconds = parseRetryAfter(res.headers.get("retry-after"), o.clock.now());
      const body = await parse(path, res).catch(() => undefined);
      throw new CloudflareApiError(path, res.status, errorsOf(body), secrets, { retryAfterSeconds });
    }
    return res;
  };
  return { send, parse, secrets };
}

/**
 * A small client for the Cloudflare REST, GraphQL and Analytics Engine SQL APIs. The token only ever goes into
 * the Authorization header; every error is redacted. Every attempt has a timeout, and 429/5xx/timeouts are retried
 * with backoff for longer than the API's 5-minute rate-limit lock-out.
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
  timeoutMs = 30_000,
  retry = createRetryPolicy(),
  clock = realClock,
}: CloudflareApiOptions): CloudflareApi {
  const t = createTransport({ apiToken, baseUrl, fetch: doFetch, timeoutMs, retry, clock });
  const retried = <T>(idempotent: boolean, attempt: () => Promise<T>) =>
    withRetries(attempt, { policy: retry, clock, classify: (e) => classify(e, idempotent) });
  let account: Promise<string> | undefined;
  const resolveAccount = () => {
    account ??= typeof accountId === "string" ? Promise.resolve(accountId) : accountId();
    return account;
  };
  const accountPath = async (path: string, query?: Record<string, string>) =>
    `/accounts/${await resolveAccount()}${path}${query && Object.keys(query).length ? `?${new URLSearchParams(query)}` : ""}`;
  const envelope = async (full: string, init: ApiRequest) =>
    retried(init.idempotent ?? true, async () => {
      const res = await t.send(full, init);
      const body = await t.parse(full, res);
      if (!isRecord(body) || body.success !== true)
        throw new CloudflareApiError(full, res.status, errorsOf(body), t.secrets);
      return body;
    });
  const api: CloudflareApi = {
    accountId: resolveAccount,
    async account<T>(path: string, init: ApiRequest = {}) {
      return (await envelope(await accountPath(path, init.query), init)).result as T;
    },
    accountPages: (path, init) => pages(envelope, accountPath, path, init),
    accountCursor: (path, init) => cursorPages(envelope, accountPath, path, init),
    async accountText(path: string) {
      const full = await accountPath(path);
      return retried(true, async () => {
        const res = await t.send(full, {});
        if (res.status === 404) return undefined;
        if (!res.ok) throw new CloudflareApiError(full, res.status, errorsOf(await t.parse(full, res)), t.secrets);
        return res.text();
      });
    },
    async root<T>(path: string, init: ApiRequest = {}) {
      const full = `${path}${init.query ? `?${new URLSearchParams(init.query)}` : ""}`;
      return (await envelope(full, init)).result as T;
    },
    graphql: (query, variables) => retried(true, () => graphqlOnce(t, query, variables)),
    analyticsSql: async (sql) => {
      const full = await accountPath("/analytics_engine/sql");
      return retried(true, async () => {
        const res = await t.send(full, { method: "POST", body: sql, contentType: "text/plain" });
        const body = await t.parse(full, res);
        if (!res.ok) throw new CloudflareApiError(full, res.status, errorsOf(body), t.secrets);
        return body as never;
      });
    },
  };
  return api;
}

async function graphqlOnce<T>(t: Transport, query: string, variables: Record<string, unknown>): Promise<T> {
  const res = await t.send("/graphql", { method: "POST", body: JSON.stringify({ query, variables }) });
  const body = await t.parse("/graphql", res);
  const errors = isRecord(body) && Array.isArray(body.errors) ? body.errors.filter(isRecord) : [];
  if (!res.ok || errors.length > 0 || !isRecord(body) || !isRecord(body.data)) {
    const detail = errors.map((e) => ({ code: 0, message: String(e.message ?? JSON.stringify(e)) }));
    throw new CloudflareApiError("/graphql", res.status, detail, t.secrets);
  }
  return body.data as T;
}

type Envelope = (full: string, init: ApiRequest) => Promise<Record<string, unknown>>;
type AccountPath = (path: string, query?: Record<string, string>) => Promise<string>;

/** Page-numbered lists: `result` is the items (or `{ items }`); stop on a short page or at `total_pages`. */
async function pages<T>(
  envelope: Envelope,
  accountPath: AccountPath,
  path: string,
  { query = {}, perPage = 100 }: { query?: Record<string, string>; perPage?: number } = {},
): Promise<T[]> {
  const out: T[] = [];
  for (let page = 1; page <= 1000; page++) {
    const body = await envelope(
      await accountPath(path, { ...query, page: String(page), per_page: String(perPage) }),
      {},
    );
    const result = body.result;
    const items = (
      Array.isArray(result) ? result : isRecord(result) && Array.isArray(result.items) ? result.items : []
    ) as T[];
    out.push(...items);
    const info = isRecord(body.result_info) ? body.result_info : {};
    const totalPages = typeof info.total_pages === "number" ? info.total_pages : undefined;
    const total = typeof info.total_count === "number" ? info.total_count : undefined;
    if (
      items.length === 0 ||
      (totalPages !== undefined && page >= totalPages) ||
      (total !== undefined && out.length >= total)
    )
      break;
    if (totalPages === undefined && total === undefined && items.length < perPage) break;
  }
  return out;
}

/** Cursor lists (KV keys): follow `result_info.cursor` until it is empty. */
async function cursorPages<T>(
  envelope: Envelope,
  accountPath: AccountPath,
  path: string,
  { query = {} }: { query?: Record<string, string> } = {},
): Promise<T[]> {
  const out: T[] = [];
  let cursor = "";
  for (let n = 0; n < 10_000; n++) {
    const body = await envelope(await accountPath(path, { ...query, ...(cursor ? { cursor } : {}) }), {});
    if (Array.isArray(body.result)) out.push(...(body.result as T[]));
    const info = isRecord(body.result_info) ? body.result_info : {};
    cursor = typeof info.cursor === "string" ? info.cursor : "";
    if (!cursor) break;
  }
  return out;
}
