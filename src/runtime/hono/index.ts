/**
 * blastwall/hono: the ops kill switch as Hono middleware, and the ops admin API as a Hono handler.
 * See docs/guides/ops-flags.md.
 */
import type { Handler, MiddlewareHandler } from "hono";
import {
  ADMIN_BASE_PATH,
  killSwitch as createKillSwitch,
  opsAdmin as createOpsAdmin,
  type KillSwitchOptions,
  type OpsAdminOptions,
} from "../ops/index.js";

export type { KillSwitchOptions, OpsAdminOptions };
export { ADMIN_BASE_PATH };

/**
 * Kill switch middleware: while `disable_writes` is on, writes get 503 + `Retry-After`; reads, health checks,
 * allow-listed routes and the admin API pass.
 *
 * @example
 * app.use(killSwitch<Env>({ flags: (env) => createFlagReader({ flags: OPS, store: durableObjectStore(env.OPS_FLAGS) }) }));
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
