import { createExecutionContext, env, SELF } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createFlagReader } from "./flags.js";
import { type FetchHandler, killSwitch } from "./kill-switch.js";
import { createFlagMemo } from "./memo.js";
import { durableObjectStore, envStore } from "./stores.js";
import worker, { OPS, type OpsTestEnv, reached } from "./test-worker.js";

const TOKEN = "s3cr3t-ops-token-for-tests-0123456789";

function setGlobal(name: string, value: string): Promise<Response> {
  return SELF.fetch(`http://ops/__blastwall/ops/flags/${name}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ value, actor: "kill-switch-test" }),
  });
}

const N = 1000;
const WRITE_METHODS = ["POST", "PUT", "PATCH", "DELETE"] as const;

/** 1,000 requests: half writes (all four methods), 40% reads, 10% health checks, in a fixed shuffled order. */
function mixedRequests(): Request[] {
  const out: Request[] = [];
  for (let i = 0; i < N; i++) {
    const kind = i % 10;
    if (kind < 5) {
      const method = WRITE_METHODS[i % 4] ?? "POST";
      out.push(new Request(`http://ops/items/${i}`, { method, body: method === "DELETE" ? null : `{"i":${i}}` }));
    } else if (kind < 9) out.push(new Request(`http://ops/items/${i}`));
    else out.push(new Request("http://ops/healthz"));
  }
  return out;
}

afterEach(async () => {
  expect((await setGlobal("disable_writes", "0")).status).toBe(200);
});

// The Worker's own fetch handler, called in this isolate. 1,000 concurrent SELF.fetch calls would measure
// the test harness instead: one test may hold only 6 subrequest connections open at a time.
const fetchWorker = (r: Request) =>
  worker.fetch(r as Request<unknown, IncomingRequestCfProperties>, env, createExecutionContext());

describe("kill switch, plain fetch, on the test Worker's handler", () => {
  it("with disable_writes on, 0 of 1,000 concurrent mixed requests' writes reach the handler", async () => {
    expect((await setGlobal("disable_writes", "1")).status).toBe(200);
    const before = { ...reached };
    const requests = mixedRequests();
    const responses = await Promise.all(requests.map(fetchWorker));
    const after = { ...reached };
    expect(after.writes - before.writes).toBe(0);
    let writes = 0;
    for (const [i, res] of responses.entries()) {
      const req = requests[i] as Request;
      if (req.method === "GET") {
        expect(res.status, `${req.method} ${req.url}`).toBe(200);
      } else {
        writes++;
        expect(res.status).toBe(503);
        expect(res.headers.get("retry-after")).toBe("30");
        const body = (await res.json()) as { error: string; message: string; flag: string };
        expect(body).toMatchObject({ error: "writes_paused", flag: "disable_writes" });
        expect(body.message).toMatch(/operator paused writes/);
      }
    }
    expect(writes).toBe(N / 2);
    // Reads and health checks all reached the app.
    expect(after.reads - before.reads).toBe(N / 2);
  });

  it("lets writes through while the flag is off (the control for the test above)", async () => {
    const before = reached.writes;
    const responses = await Promise.all(mixedRequests().map(fetchWorker));
    expect(responses.every((r) => r.status === 200)).toBe(true);
    expect(reached.writes - before).toBe(N / 2);
  });

  it("shares one flag round trip across concurrent requests in separate request contexts", async () => {
    // The admin write empties the memo, so these concurrent writes all wait on one round trip started by one of them.
    expect((await setGlobal("disable_writes", "1")).status).toBe(200);
    const responses = await Promise.all(
      Array.from({ length: 6 }, (_, i) => SELF.fetch(`http://ops/items/${i}`, { method: "PUT", body: "{}" })),
    );
    const bodies = await Promise.all(responses.map((r) => r.json()));
    expect(responses.map((r) => r.status)).toEqual([503, 503, 503, 503, 503, 503]);
    expect(bodies.every((b) => (b as { error: string }).error === "writes_paused")).toBe(true);
  });

  it("keeps the admin route open while writes are paused, so the flag can be switched back off", async () => {
    expect((await setGlobal("disable_writes", "1")).status).toBe(200);
    expect((await SELF.fetch("http://ops/items/1", { method: "POST" })).status).toBe(503);
    expect((await setGlobal("disable_writes", "0")).status).toBe(200);
    const writes = reached.writes;
    expect((await SELF.fetch("http://ops/items/1", { method: "POST" })).status).toBe(200);
    // SELF runs the same module instance as this test: the admin write cleared the memo the handler reads.
    expect(reached.writes).toBe(writes + 1);
  });
});

describe("kill switch options", () => {
  const handler = vi.fn<FetchHandler<OpsTestEnv>>(() => new Response("ok"));
  const on = () => createFlagReader({ flags: OPS, store: envStore({ OPS_DISABLE_WRITES: "1" }) });
  const call = (fetch: FetchHandler<OpsTestEnv>, method: string, path: string) =>
    fetch(new Request(`http://app${path}`, { method }), env, createExecutionContext());

  it("blocks configured routes whatever their method, and passes allow-listed and health routes", async () => {
    const fetch = killSwitch<OpsTestEnv>({
      reader: on,
      block: ["GET /reindex", "/fanout/*"],
      allow: ["POST /webhooks/:provider"],
      retryAfterSeconds: 120,
    }).wrap(handler);
    const reindex = await call(fetch, "GET", "/reindex");
    expect(reindex.status).toBe(503);
    expect(reindex.headers.get("retry-after")).toBe("120");
    expect((await call(fetch, "GET", "/fanout/all")).status).toBe(503);
    expect((await call(fetch, "GET", "/reindex/status")).status).toBe(200);
    expect((await call(fetch, "POST", "/webhooks/stripe")).status).toBe(200);
    expect((await call(fetch, "POST", "/webhooks/stripe/extra")).status).toBe(503);
    expect((await call(fetch, "POST", "/healthz")).status).toBe(200);
    expect((await call(fetch, "DELETE", "/__blastwall/ops/flags/x")).status).toBe(200);
  });

  it("blocks writes when the store is down and the flag fails closed, and says why", async () => {
    const defs = { disable_writes: { failMode: "closed" as const } };
    const fetch = killSwitch<OpsTestEnv>({
      reader: (e) =>
        createFlagReader({ flags: defs, store: durableObjectStore(e.OPS_DO_DOWN, { memo: createFlagMemo() }) }),
    }).wrap(handler);
    const res = await call(fetch, "PATCH", "/items/1");
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: "writes_paused", reason: "ERROR", errorCode: "GENERAL" });
    expect((await call(fetch, "GET", "/items/1")).status).toBe(200);
  });

  it("lets writes through when the store is down and the flag fails open", async () => {
    const fetch = killSwitch<OpsTestEnv>({
      reader: (e) =>
        createFlagReader({ flags: OPS, store: durableObjectStore(e.OPS_DO_DOWN, { memo: createFlagMemo() }) }),
    }).wrap(handler);
    expect((await call(fetch, "POST", "/items/1")).status).toBe(200);
  });

  it("reads never consult the store", async () => {
    const reader = vi.fn(on);
    const fetch = killSwitch<OpsTestEnv>({ reader }).wrap(handler);
    await call(fetch, "GET", "/items/1");
    expect(reader).not.toHaveBeenCalled();
  });

  it("refuses a flag the reader does not declare, and bad options", async () => {
    const fetch = killSwitch<OpsTestEnv>({ reader: on, flag: "stop_everything" }).wrap(handler);
    await expect(call(fetch, "POST", "/x")).rejects.toThrow(/"stop_everything" is not declared/);
    expect(() => killSwitch<OpsTestEnv>({ reader: on, retryAfterSeconds: -1 })).toThrow(/retryAfterSeconds/);
    expect(() => killSwitch<OpsTestEnv>({ reader: on, block: ["orders"] })).toThrow(/must start with "\/"/);
  });
});
