// A Hono app wired the way the guide shows: kill switch middleware and the admin API mounted.
import { Hono } from "hono";
import {
  assertCanSend,
  BlastwallOpsFlags,
  createFlagReader,
  defineFlags,
  durableObjectStore,
  envStore,
  guardProducer,
} from "../ops/index.js";
import { safeKey } from "../r2/key.js";
import { blastwallErrors, killSwitch, opsAdmin } from "./index.js";

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

const OPS = defineFlags({ disable_writes: { failMode: "open" }, disable_enqueue: { failMode: "open" } });

export const app = new Hono<{ Bindings: HonoTestEnv }>();

app.use(
  killSwitch<HonoTestEnv>({
    reader: (env) => createFlagReader({ flags: OPS, store: durableObjectStore(env.HONO_OPS) }),
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
// Throws UnsafeKeyError for a bad name: blastwallErrors answers 400, not 500.
app.get("/files/:name", (c) => c.json({ key: safeKey(c.req.param("name"), { prefix: "files" }) }));
// The check before the write: the flag comes from the query so the test needs no store.
app.get("/enqueue", async (c) => {
  const reader = createFlagReader({ flags: OPS, store: envStore({ OPS_DISABLE_ENQUEUE: c.req.query("off") ?? "0" }) });
  const events = guardProducer<unknown>({ send: async () => {}, sendBatch: async () => {} } as unknown as Queue, {
    reader,
    queue: "events",
  });
  await assertCanSend(events);
  return c.json({ sent: true });
});
app.get("/boom", () => {
  throw new Error("a bug");
});
app.onError(blastwallErrors({ fallback: (_err, c) => c.json({ error: "internal error" }, 500) }));

export default app;
