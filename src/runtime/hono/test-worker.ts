// A Hono app wired the way the guide shows: kill switch middleware and the admin API mounted.
import { Hono } from "hono";
import { BlastwallOpsFlags, createFlagReader, defineFlags, durableObjectStore } from "../ops/index.js";
import { killSwitch, opsAdmin } from "./index.js";

export { BlastwallOpsFlags };

export interface HonoTestEnv {
  HONO_OPS: DurableObjectNamespace<BlastwallOpsFlags>;
  HONO_ADMIN_TOKEN?: string;
}

// Test bindings, prefixed with the feature so they never clash in the merged Cloudflare.Env.
declare global {
  namespace Cloudflare {
    interface Env extends HonoTestEnv {}
  }
}

const OPS = defineFlags({ disable_writes: { failMode: "open" } });

export const app = new Hono<{ Bindings: HonoTestEnv }>();

app.use(
  killSwitch<HonoTestEnv>({
    flags: (env) => createFlagReader({ flags: OPS, store: durableObjectStore(env.HONO_OPS) }),
    allow: ["/webhooks/*"],
  }),
);
app.all(
  "/__blastwall/ops/*",
  opsAdmin<HonoTestEnv>({ store: (env) => durableObjectStore(env.HONO_OPS), flags: OPS, tokenVar: "HONO_ADMIN_TOKEN" }),
);
app.get("/healthz", (c) => c.json({ ok: true }));
app.get("/notes/:id", (c) => c.json({ id: c.req.param("id") }));
app.post("/notes", (c) => c.json({ created: true }, 201));
app.delete("/notes/:id", (c) => c.body(null, 204));
app.post("/webhooks/:provider", (c) => c.json({ received: c.req.param("provider") }));

export default app;
