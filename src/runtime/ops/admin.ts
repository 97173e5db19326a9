import { type FlagDefinitions, findDefinition, isEnabledValue } from "./flags.js";
import { type FlagRecord, invalidFlagWrite } from "./flags-object.js";
import { ADMIN_BASE_PATH } from "./kill-switch.js";
import { type DurableObjectFlagStore, KV_PREFIX, kvStore } from "./stores.js";

export const DEFAULT_TOKEN_VAR = "BLASTWALL_ADMIN_TOKEN";

export interface OpsAdminOptions<E> {
  /** The Durable Object store to read and write, made from the request's env. */
  store: (env: E) => DurableObjectFlagStore;
  /** The app's flag declarations: the list shows each flag's failMode, and declared-but-unset flags. */
  flags?: FlagDefinitions;
  /** A KV namespace to mirror each change to (`ops:<name>`), for Workers that cannot bind the Durable Object. */
  mirror?: (env: E) => KVNamespace | undefined;
  /** The env var holding the bearer token. Default `BLASTWALL_ADMIN_TOKEN`. Unset → every request is refused. */
  tokenVar?: string;
  /** Default `/__blastwall/ops`. */
  basePath?: string;
}

export interface OpsAdmin<E> {
  readonly basePath: string;
  /** True when the request is for this admin API (so a plain fetch handler can route to it). */
  matches(request: Request): boolean;
  fetch(request: Request, env: E): Promise<Response>;
}

/** One flag as `GET /flags` lists it. */
export interface AdminFlag {
  name: string;
  value: string;
  enabled: boolean;
  updatedAt: string | null;
  actor: string | null;
  failMode: "open" | "closed" | null;
}

const MAX_BODY = 4096;

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers: { "cache-control": "no-store", ...headers } });
}

function problem(status: number, error: string, message: string, fix?: string, headers?: Record<string, string>) {
  return json(status, fix ? { error, message, fix } : { error, message }, headers);
}

const encoder = new TextEncoder();

/** Compares in constant time: both sides are hashed first, so neither length nor content leaks through timing. */
async function sameToken(given: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(given)),
    crypto.subtle.digest("SHA-256", encoder.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(a, b);
}

function bearer(request: Request): string | undefined {
  const header = request.headers.get("authorization");
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return m?.[1];
}

function errorText(err: unknown, token: string): string {
  const text = err instanceof Error ? err.message : String(err);
  // Belt and braces: nothing we call sees the token, but no message may ever carry it out.
  return token ? text.split(token).join("[redacted]") : text;
}

function failModeOf(flags: FlagDefinitions | undefined, name: string): "open" | "closed" | null {
  return flags ? (findDefinition(flags, name)?.failMode ?? null) : null;
}

function toAdminFlag(record: FlagRecord | undefined, name: string, flags?: FlagDefinitions): AdminFlag {
  const value = record?.value ?? "0";
  return {
    name,
    value,
    enabled: isEnabledValue(record?.value ?? null),
    updatedAt: record?.updatedAt ?? null,
    actor: record?.actor ?? null,
    failMode: failModeOf(flags, name),
  };
}

/** What every admin route needs: the base path, the declarations, the mirror, and the token (to redact it). */
interface AdminContext<E> {
  base: string;
  flags: FlagDefinitions | undefined;
  mirror: ((env: E) => KVNamespace | undefined) | undefined;
  token: string;
}

type Mirrored = { kv: "ok" } | { kv: "failed"; error: string };

async function listFlags(s: DurableObjectFlagStore, flags: FlagDefinitions | undefined): Promise<AdminFlag[]> {
  const records = new Map((await s.list()).map((r) => [r.name, r]));
  const names = new Set([...records.keys(), ...Object.keys(flags ?? {}).filter((n) => !n.endsWith("*"))]);
  return [...names].sort().map((n) => toAdminFlag(records.get(n), n, flags));
}

/** The PUT body, validated: `{ value, actor }`, or the 400/413 to answer. */
async function readFlagWrite(request: Request, name: string): Promise<{ value: string; actor: string } | Response> {
  const tooLarge = () => problem(413, "payload_too_large", `body must be at most ${MAX_BODY} bytes`);
  if (Number(request.headers.get("content-length") ?? 0) > MAX_BODY) return tooLarge();
  const text = await request.text();
  if (text.length > MAX_BODY) return tooLarge();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return problem(400, "bad_request", "body must be JSON", '{ "value": "1", "actor": "alice" }');
  }
  const { value, actor } = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  const invalid = invalidFlagWrite({ name, value, actor });
  if (invalid) return problem(400, "bad_request", invalid, '{ "value": "1", "actor": "alice" }');
  return { value: value as string, actor: actor as string };
}

/** Writes the change to the KV mirror; a failure is reported, never thrown: the Durable Object holds the change. */
async function mirrorChange(
  kv: KVNamespace,
  name: string,
  write: { value: string; actor: string },
  updatedAt: string,
  token: string,
): Promise<Mirrored> {
  try {
    await kvStore(kv).write(name, write.value, { actor: write.actor, updatedAt });
    return { kv: "ok" };
  } catch (err) {
    const error = `KV mirror of ${KV_PREFIX}${name} failed: ${errorText(err, token)}`;
    console.error(JSON.stringify({ event: "blastwall.ops.mirror_failed", flag: name, error }));
    return { kv: "failed", error };
  }
}

async function putFlag<E>(
  ctx: AdminContext<E>,
  request: Request,
  env: E,
  s: DurableObjectFlagStore,
  name: string,
): Promise<Response> {
  const write = await readFlagWrite(request, name);
  if (write instanceof Response) return write;
  const change = await s.set({ name, ...write });
  const { value, actor, updatedAt } = change.flag;
  console.log(
    JSON.stringify({
      event: "blastwall.ops.flag_set",
      flag: name,
      old: change.previous,
      new: value,
      actor,
      at: updatedAt,
    }),
  );
  const kv = ctx.mirror?.(env);
  const mirrored = kv ? await mirrorChange(kv, name, write, updatedAt, ctx.token) : undefined;
  return json(200, {
    flag: toAdminFlag(change.flag, name, ctx.flags),
    previous: change.previous,
    changed: change.changed,
    ...(mirrored ? { mirror: mirrored } : {}),
  });
}

async function flagRoute<E>(ctx: AdminContext<E>, request: Request, env: E, s: DurableObjectFlagStore, rest: string) {
  let name: string;
  try {
    name = decodeURIComponent(rest.slice("/flags/".length));
  } catch {
    return problem(400, "bad_request", "flag name is not valid percent-encoding");
  }
  const method = request.method.toUpperCase();
  if (method === "PUT") return putFlag(ctx, request, env, s, name);
  if (method !== "GET") return problem(405, "method_not_allowed", "use GET or PUT", undefined, { allow: "GET, PUT" });
  const record = (await s.list()).find((r) => r.name === name);
  if (!record && failModeOf(ctx.flags, name) === null) {
    return problem(404, "not_found", `flag "${name}" is neither set nor declared`);
  }
  return json(200, { flag: toAdminFlag(record, name, ctx.flags) });
}

async function auditRoute(url: URL, s: DurableObjectFlagStore): Promise<Response> {
  const limit = url.searchParams.get("limit");
  const before = url.searchParams.get("before");
  const flag = url.searchParams.get("flag");
  if ((limit !== null && !/^\d+$/.test(limit)) || (before !== null && !/^\d+$/.test(before))) {
    return problem(400, "bad_request", "limit and before must be whole numbers", "/audit?limit=100&before=42");
  }
  const entries = await s.audit({
    ...(limit !== null ? { limit: Number(limit) } : {}),
    ...(before !== null ? { before: Number(before) } : {}),
    ...(flag !== null ? { flag } : {}),
  });
  return json(200, { entries });
}

async function route<E>(ctx: AdminContext<E>, request: Request, env: E, s: DurableObjectFlagStore): Promise<Response> {
  const url = new URL(request.url);
  const rest = url.pathname.slice(ctx.base.length).replace(/\/+$/, "");
  const getOnly = () => problem(405, "method_not_allowed", "use GET", undefined, { allow: "GET" });
  const isGet = request.method.toUpperCase() === "GET";
  try {
    if (rest === "/flags") {
      return isGet
        ? json(200, { store: { kind: s.kind, name: s.name }, flags: await listFlags(s, ctx.flags) })
        : getOnly();
    }
    if (rest.startsWith("/flags/")) return await flagRoute(ctx, request, env, s, rest);
    if (rest === "/audit") return isGet ? await auditRoute(url, s) : getOnly();
    const { base } = ctx;
    return problem(404, "not_found", `no such admin route; use ${base}/flags, ${base}/flags/<name> or ${base}/audit`);
  } catch (err) {
    const msg = errorText(err, ctx.token);
    console.error(JSON.stringify({ event: "blastwall.ops.store_unreachable", error: msg }));
    return problem(503, "store_unreachable", `the flags Durable Object did not answer: ${msg}`, undefined, {
      "retry-after": "1",
    });
  }
}

/** The configured token when the request carries it; otherwise the 403 (none configured) or 401 to answer. */
async function authorize(request: Request, env: unknown, tokenVar: string): Promise<string | Response> {
  const configured = (env as Record<string, unknown>)[tokenVar];
  if (typeof configured !== "string" || configured.length === 0) {
    return problem(
      403,
      "admin_disabled",
      "the ops admin API is disabled: no admin token is configured",
      `set it as a secret: wrangler secret put ${tokenVar}`,
    );
  }
  const given = bearer(request);
  if (given === undefined || !(await sameToken(given, configured))) {
    return problem(401, "unauthorized", "missing or wrong bearer token", "send Authorization: Bearer <token>", {
      "www-authenticate": 'Bearer realm="blastwall-ops"',
    });
  }
  return configured;
}

/**
 * The admin API for ops flags, mounted at `/__blastwall/ops`: list, set (with an audit entry and an optional KV
 * mirror) and read the audit log. Bearer-token auth, compared in constant time; no configured token refuses all.
 *
 * @example
 * const admin = opsAdmin<Env>({ store: (env) => durableObjectStore(env.OPS_FLAGS), mirror: (env) => env.CONFIG });
 * export default { fetch: (req, env, ctx) => (admin.matches(req) ? admin.fetch(req, env) : app(req, env, ctx)) };
 */
export function opsAdmin<E>({
  store,
  flags,
  mirror,
  tokenVar = DEFAULT_TOKEN_VAR,
  basePath = ADMIN_BASE_PATH,
}: OpsAdminOptions<E>): OpsAdmin<E> {
  const base = basePath.replace(/\/+$/, "");
  const matches = (request: Request) => {
    const { pathname } = new URL(request.url);
    return pathname === base || pathname.startsWith(`${base}/`);
  };
  return {
    basePath: base,
    matches,
    async fetch(request, env) {
      // Auth runs before routing: an unauthenticated request gets 401 on every path.
      const token = await authorize(request, env, tokenVar);
      if (token instanceof Response) return token;
      return route({ base, flags, mirror, token }, request, env, store(env));
    },
  };
}
