// The worker the runtime:ops tests (and bench/ops.ts) run against: the flags object, a store that is down, and an
// app with the kill switch and the admin API mounted the plain-fetch way.

import { opsAdmin } from "./admin.js";
import { createFlagReader, defineFlags } from "./flags.js";
import { BlastwallOpsFlags } from "./flags-object.js";
import { killSwitch } from "./kill-switch.js";
import { durableObjectStore } from "./stores.js";

export { BlastwallOpsFlags };

/** Answers like a Durable Object that is overloaded: every call fails. */
export class OpsFlagsDown extends BlastwallOpsFlags {
  override snapshot(): Record<string, string> {
    throw new Error("Durable Object is overloaded. Too many requests queued.");
  }
  override list(): never {
    throw new Error("Durable Object is overloaded. Too many requests queued.");
  }
}

export interface OpsTestEnv {
  OPS_DO: DurableObjectNamespace<BlastwallOpsFlags>;
  OPS_DO_DOWN: DurableObjectNamespace<BlastwallOpsFlags>;
  OPS_KV: KVNamespace;
  OPS_QUEUE: Queue<unknown>;
  OPS_ADMIN_TOKEN?: string;
}

// Test bindings, prefixed with the feature so they never clash in the merged Cloudflare.Env.
declare global {
  namespace Cloudflare {
    interface Env extends OpsTestEnv {}
  }
}

export const OPS = defineFlags({
  disable_writes: { failMode: "open" },
  disable_enqueue: { failMode: "closed" },
  "pause_consumer:*": { failMode: "open" },
});

const admin = opsAdmin<OpsTestEnv>({
  store: (env) => durableObjectStore(env.OPS_DO),
  flags: OPS,
  mirror: (env) => env.OPS_KV,
  tokenVar: "OPS_ADMIN_TOKEN",
});

// What reached the app, so tests can prove that no write got past the kill switch.
export const reached = { reads: 0, writes: 0 };

const app = (request: Request): Response => {
  const { pathname } = new URL(request.url);
  if (request.method === "GET" || request.method === "HEAD") reached.reads++;
  else reached.writes++;
  return Response.json({ ok: true, method: request.method, path: pathname });
};

const guarded = killSwitch<OpsTestEnv>({
  reader: (env) => createFlagReader({ flags: OPS, store: durableObjectStore(env.OPS_DO) }),
}).wrap(app);

export default {
  fetch(request, env, ctx) {
    if (admin.matches(request)) return admin.fetch(request, env);
    const { pathname } = new URL(request.url);
    // /bare/* skips the guard: the bench's baseline in the same workerd run.
    if (pathname.startsWith("/bare/")) return app(request);
    return guarded(request, env, ctx);
  },
} satisfies ExportedHandler<OpsTestEnv>;
