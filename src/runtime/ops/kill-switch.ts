import type { FlagEvaluation, FlagReader } from "./flags.js";
import { compileRoute, matchesAny, type RoutePattern } from "./routes.js";

export const ADMIN_BASE_PATH = "/__blastwall/ops";

export interface KillSwitchOptions<E> {
  /** The flag reader to consult, made from the request's env (cheap: the memo outlives it). */
  reader: (env: E) => FlagReader;
  /** Default "disable_writes". It must be declared in the reader's flags. */
  flag?: string;
  /** Methods that count as writes. Default POST, PUT, PATCH, DELETE. */
  methods?: readonly string[];
  /** More routes to block while the flag is on, whatever their method (e.g. `"GET /reindex"`). */
  block?: readonly RoutePattern[];
  /** Routes that always pass. */
  allow?: readonly RoutePattern[];
  /** Health checks, which always pass. Default `/healthz`, `/health`, `/livez`, `/readyz`. */
  health?: readonly RoutePattern[];
  /** The admin API's base path, which always passes so operators can switch the flag back off. */
  adminPath?: string;
  /** Sent as `Retry-After` and in the body. Default 30. */
  retryAfterSeconds?: number;
}

export type FetchHandler<E> = (request: Request, env: E, ctx: ExecutionContext) => Response | Promise<Response>;

export interface KillSwitch<E> {
  /** The 503 to answer with, or undefined when the request may go on. Never throws for a store outage. */
  check(request: Request, env: E): Promise<Response | undefined>;
  /** Wraps a plain fetch handler. */
  wrap(handler: FetchHandler<E>): FetchHandler<E>;
}

/** What a blocked request gets in its JSON body. */
export interface PausedBody {
  error: "writes_paused";
  message: string;
  flag: string;
  retryAfterSeconds: number;
  reason: FlagEvaluation["reason"];
  errorCode?: string;
}

function pausedResponse(evaluation: FlagEvaluation, retryAfterSeconds: number): Response {
  const body: PausedBody = {
    error: "writes_paused",
    message:
      evaluation.reason === "ERROR"
        ? `Writes are paused: the ops flag store is unreachable and "${evaluation.flag}" fails closed. Reads still work; retry later.`
        : `An operator paused writes (ops flag "${evaluation.flag}" is on). Reads still work; retry later.`,
    flag: evaluation.flag,
    retryAfterSeconds,
    reason: evaluation.reason,
  };
  if (evaluation.errorCode) body.errorCode = evaluation.errorCode;
  return Response.json(body, {
    status: 503,
    headers: { "retry-after": String(retryAfterSeconds), "cache-control": "no-store" },
  });
}

/**
 * A kill switch for writes: while the flag is on, write requests get 503 with `Retry-After`, and reads, health
 * checks, allow-listed routes and the admin API keep working. Reads never consult the flag, so they pay nothing.
 *
 * @example
 * const guard = killSwitch<Env>({
 *   reader: (env) => createFlagReader({ flags: OPS, store: durableObjectStore(env.OPS_FLAGS) }),
 * });
 * export default { fetch: guard.wrap(handler) };
 */
export function killSwitch<E>({
  reader: readerOf,
  flag = "disable_writes",
  methods = ["POST", "PUT", "PATCH", "DELETE"],
  block = [],
  allow = [],
  health = ["/healthz", "/health", "/livez", "/readyz"],
  adminPath = ADMIN_BASE_PATH,
  retryAfterSeconds = 30,
}: KillSwitchOptions<E>): KillSwitch<E> {
  if (!Number.isInteger(retryAfterSeconds) || retryAfterSeconds < 0) {
    throw new RangeError("blastwall killSwitch: retryAfterSeconds must be a whole number of seconds ≥ 0");
  }
  const writes = new Set(methods.map((m) => m.toUpperCase()));
  const passing = [...health, ...allow].map(compileRoute);
  const blocked = block.map(compileRoute);
  const admin = adminPath.replace(/\/+$/, "");

  const check = async (request: Request, env: E): Promise<Response | undefined> => {
    const method = request.method.toUpperCase();
    const isWrite = writes.has(method);
    if (!isWrite && blocked.length === 0) return undefined;
    const { pathname } = new URL(request.url);
    if (pathname === admin || pathname.startsWith(`${admin}/`)) return undefined;
    if (matchesAny(passing, method, pathname)) return undefined;
    if (!isWrite && !matchesAny(blocked, method, pathname)) return undefined;
    const reader = readerOf(env);
    if (!reader.definition(flag)) {
      // A deterministic wiring mistake: fail the first test that sends a write, not silently let writes through.
      throw new TypeError(
        `blastwall killSwitch: flag "${flag}" is not declared in the reader's flags; add ${flag}: { failMode: "open" | "closed" }`,
      );
    }
    const evaluation = await reader.get(flag);
    return evaluation.enabled ? pausedResponse(evaluation, retryAfterSeconds) : undefined;
  };

  return {
    check,
    wrap:
      (handler) =>
      async (request, env, ctx): Promise<Response> =>
        (await check(request, env)) ?? handler(request, env, ctx),
  };
}
