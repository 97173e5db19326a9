/**
 * blastwall/hono: the ops kill switch as Hono middleware, the ops admin API as a Hono handler, and an error path
 * that gives blastwall's errors their status.
 * See docs/guides/ops-flags.md.
 */
import type { Context, ErrorHandler, Handler, MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import {
  ADMIN_BASE_PATH,
  killSwitch as createKillSwitch,
  opsAdmin as createOpsAdmin,
  EnqueueRefusedError,
  type KillSwitchOptions,
  type OpsAdminOptions,
} from "../ops/index.js";
import { UnsafeKeyError } from "../r2/key.js";

export type { KillSwitchOptions, OpsAdminOptions };
export { ADMIN_BASE_PATH };

/**
 * Kill switch middleware: while `disable_writes` is on, writes get 503 + `Retry-After`; reads, health checks,
 * allow-listed routes and the admin API pass.
 *
 * @example
 * app.use(killSwitch<Env>({ reader: (env) => createFlagReader({ flags: OPS, store: durableObjectStore(env.OPS_FLAGS) }) }));
 */
export function killSwitch<B extends object>(options: KillSwitchOptions<B>): MiddlewareHandler<{ Bindings: B }> {
  const guard = createKillSwitch(options);
  return async (c, next) => {
    const paused = await guard.check(c.req.raw, c.env);
    if (paused) return paused;
    await next();
  };
}

/**
 * The ops admin API as a Hono handler. Mount it on every method under its base path.
 *
 * @example
 * app.all("/__blastwall/ops/*", opsAdmin<Env>({ store: (env) => durableObjectStore(env.OPS_FLAGS), mirror: (env) => env.CONFIG }));
 */
export function opsAdmin<B extends object>(options: OpsAdminOptions<B>): Handler<{ Bindings: B }> {
  const admin = createOpsAdmin(options);
  return (c) => admin.fetch(c.req.raw, c.env);
}

export interface BlastwallErrorsOptions {
  /** Answers every error blastwall does not map. Default: a 500 `{ "error": "internal_error" }`, logged. */
  fallback?: ErrorHandler;
  /** `Retry-After` of a refused enqueue, in seconds. Default 30, as the kill switch. */
  retryAfterSeconds?: number;
}

/** The body of an error answered by {@link blastwallErrors}. */
export interface BlastwallErrorBody {
  error: "bad_key" | "enqueue_paused";
  message: string;
  /** `bad_key`: why the key was refused (`UnsafeKeyReason`). */
  reason?: string;
  /** `enqueue_paused`: the ops flag that switched the path off. */
  flag?: string;
}

const defaultFallback: ErrorHandler = (err, c) => {
  console.error("unhandled error", err);
  return c.json({ error: "internal_error" }, 500);
};

/**
 * The error path for `app.onError`: blastwall's own errors get the status they mean instead of a 500. An
 * `UnsafeKeyError` from `safeKey` is the client's fault (400 `bad_key`); an `EnqueueRefusedError` means an operator
 * switched the path off (503 `enqueue_paused` with `Retry-After`). A Hono `HTTPException` keeps its own response;
 * anything else goes to `fallback`.
 *
 * @example
 * app.onError(blastwallErrors({ fallback: (err, c) => c.json({ error: "internal error" }, 500) }));
 */
export function blastwallErrors({
  fallback = defaultFallback,
  retryAfterSeconds = 30,
}: BlastwallErrorsOptions = {}): ErrorHandler {
  return (err: Error, c: Context) => {
    if (err instanceof UnsafeKeyError) {
      const body: BlastwallErrorBody = { error: "bad_key", message: err.message, reason: err.reason };
      return c.json(body, 400);
    }
    if (err instanceof EnqueueRefusedError) {
      const body: BlastwallErrorBody = { error: "enqueue_paused", message: err.message, flag: err.flag };
      c.header("retry-after", String(retryAfterSeconds));
      c.header("cache-control", "no-store");
      return c.json(body, 503);
    }
    if (err instanceof HTTPException) return err.getResponse();
    return fallback(err, c);
  };
}
