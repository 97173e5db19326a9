import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ResolvedSmokeCheck } from "../project/blastwall-config.js";
import { runSmokeCheck, versionOverride, waitForVersion } from "./smoke.js";

let server: Server;
let baseUrl = "";
const seen: { method?: string; override?: string; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (d) => {
      body += String(d);
    });
    req.on("end", () => {
      const override = req.headers["cloudflare-workers-version-overrides"];
      seen.push({ method: req.method, override: typeof override === "string" ? override : undefined, body });
      const slow = req.url === "/slow";
      setTimeout(
        () => {
          res.writeHead(req.url === "/broken" ? 500 : 200, { "content-type": "application/json" });
          res.end(JSON.stringify({ ok: req.url !== "/broken", url: req.url }));
        },
        slow ? 150 : 0,
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
});

const check = (over: Partial<ResolvedSmokeCheck>): ResolvedSmokeCheck => ({
  name: "check",
  method: "GET",
  path: "/healthz",
  headers: {},
  body: undefined,
  expectStatus: [200],
  bodyMatch: undefined,
  maxLatencyMs: 2000,
  ...over,
});
const VERSION = "dc8dcd28-271b-4367-9840-6c244f84cb40";

describe("smoke checks", () => {
  it("pins the request to the candidate with the version-override header and passes", async () => {
    const r = await runSmokeCheck(check({ method: "POST", path: "/orders", body: '{"a":1}', bodyMatch: '"ok":true' }), {
      baseUrl,
      worker: "shop-api",
      versionId: VERSION,
    });
    expect(r.ok).toBe(true);
    expect(r.detail).toMatch(/^200 in \d+ ms ≤ 2000 ms, body has "\\"ok\\":true"$/);
    expect(seen.at(-1)).toEqual({ method: "POST", override: `shop-api="${VERSION}"`, body: '{"a":1}' });
    expect(versionOverride("w", 'a"b')).toBe('w="ab"');
  });

  it("fails on status, body and latency, saying which", async () => {
    const bad = await runSmokeCheck(check({ path: "/broken", bodyMatch: '/"ok":\\s*true/' }), {
      baseUrl,
      worker: "shop-api",
      versionId: VERSION,
    });
    expect(bad.ok).toBe(false);
    expect(bad.detail).toContain("status 500, expected 200");
    expect(bad.detail).toContain("body lacks");
    const slow = await runSmokeCheck(check({ path: "/slow", maxLatencyMs: 50 }), {
      baseUrl,
      worker: "w",
      versionId: VERSION,
    });
    expect(slow.ok).toBe(false);
    expect(slow.detail).toMatch(/^\d+ ms > 50 ms$/);
  });

  it("reports a refused connection as a failed check", async () => {
    const r = await runSmokeCheck(check({}), { baseUrl: "http://127.0.0.1:9", worker: "w", versionId: VERSION });
    expect(r.ok).toBe(false);
    expect(r.detail).toMatch(/^request failed after \d+ ms/);
  });
});

describe("which version answered", () => {
  /** A Worker that names the version answering; the override "applies" after `applyAfter` requests. */
  function versioned(applyAfter: number) {
    let n = 0;
    const calls: (string | null)[] = [];
    const doFetch = async (_url: string | URL | Request, init?: RequestInit) => {
      const h = new Headers(init?.headers);
      calls.push(h.get("cloudflare-workers-version-overrides"));
      n++;
      const version = h.has("cloudflare-workers-version-overrides") && n > applyAfter ? "cand" : "stable";
      return new Response('{"ok":true}', { status: 200, headers: { "x-blastwall-version": version } });
    };
    return { doFetch: doFetch as typeof fetch, calls };
  }
  const check: ResolvedSmokeCheck = {
    name: "GET /",
    method: "GET",
    path: "/",
    headers: {},
    body: undefined,
    expectStatus: [200],
    bodyMatch: undefined,
    maxLatencyMs: 2000,
  };

  it("fails a check the stable version answered, whatever its status", async () => {
    const { doFetch } = versioned(Number.POSITIVE_INFINITY);
    const r = await runSmokeCheck(check, {
      baseUrl: "http://w.invalid",
      worker: "w",
      versionId: "cand",
      fetch: doFetch,
    });
    expect(r.ok).toBe(false);
    expect(r.detail).toContain("answered by stable, not cand");
  });

  it("waits until the override reaches the candidate, then the checks run against it", async () => {
    const { doFetch } = versioned(3);
    const slept: number[] = [];
    const r = await waitForVersion({
      baseUrl: "http://w.invalid",
      worker: "shop-api-staging",
      versionId: "cand",
      path: "/",
      fetch: doFetch,
      sleep: async (ms) => void slept.push(ms),
    });
    expect(r).toBe("verified");
    expect(slept).toEqual([250, 500, 1000]);
  });

  it("sends no override to the version's own preview URL", async () => {
    const { doFetch, calls } = versioned(0);
    const r = await runSmokeCheck(check, {
      baseUrl: "http://abcd1234-w.acme.workers.dev",
      worker: "w",
      versionId: "stable",
      preview: true,
      fetch: doFetch,
    });
    expect(calls).toEqual([null]);
    expect(r.ok).toBe(true);
  });
});
