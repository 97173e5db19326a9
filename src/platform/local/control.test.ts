import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlastwallError } from "../../core/errors.js";
import { createEdgeDashboard } from "../../ui/edge-dashboard.js";
import type { AnalysisRecord } from "../platform.js";
import { createControlServer, dashboardUrl } from "./control.js";
import type { Edge } from "./edge.js";
import { listen } from "./http.js";

const TOKEN = "t0k3n";
const calls: unknown[][] = [];

// Only what these routes touch; the real Edge is exercised end to end in test/e2e.
const fakeEdge = {
  token: TOKEN,
  deployments: {
    list: (worker: string) => [{ id: "v1", worker, createdAt: "2026-01-01T00:00:00Z" }],
    deploy: (worker: string, versions: unknown, message?: string) => {
      calls.push([worker, versions, message]);
      return { id: "d1", worker, versions, kind: "deployment", createdAt: "now" };
    },
    rollback: () => {
      throw new BlastwallError("no earlier deployment", { kind: "failure" });
    },
  },
  signals: {
    metrics: (q: { since: Date; slowerThanMs: number[] }) => [{ since: q.since.toISOString(), slower: q.slowerThanMs }],
  },
  analysis: {
    record: (r: AnalysisRecord) => {
      analysis.push(r);
      return r;
    },
    list: (worker: string, since?: Date) =>
      analysis.filter((r) => r.worker === worker && (!since || r.t >= since.getTime() / 1000)),
  },
  queues: { state: (q: string) => ({ queue: q, paused: false }) },
} as unknown as Edge;
const analysis: AnalysisRecord[] = [];

describe("control API", () => {
  let server: Server;
  let base: string;
  let dash: string;

  beforeAll(async () => {
    dash = mkdtempSync(join(tmpdir(), "bw-dash-"));
    mkdirSync(join(dash, "assets"));
    writeFileSync(join(dash, "index.html"), "<h1>edge</h1>");
    writeFileSync(join(dash, "assets", "app.js"), "console.log(1)");
    server = await listen(
      createControlServer({ edge: fakeEdge, staticDir: dash, dashboard: createEdgeDashboard(fakeEdge) }),
      0,
    );
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dash, { recursive: true, force: true });
  });

  const call = (method: string, path: string, body?: unknown, token = TOKEN) =>
    fetch(`${base}/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  it("needs the bearer token", async () => {
    expect((await call("GET", "/workers/shop-api/versions", undefined, "wrong")).status).toBe(401);
    const res = await call("GET", "/workers/shop-api/versions");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([{ id: "v1", worker: "shop-api", createdAt: "2026-01-01T00:00:00Z" }]);
  });

  it("passes JSON bodies and query parameters through", async () => {
    const res = await call("POST", "/workers/shop-api/deployments", {
      versions: [{ versionId: "v1", percentage: 100 }],
      message: "m",
    });
    expect(res.status).toBe(200);
    expect(calls.at(-1)).toEqual(["shop-api", [{ versionId: "v1", percentage: 100 }], "m"]);
    const m = await call("GET", "/workers/shop-api/metrics?since=2026-01-01T00:00:00.000Z&slowerThanMs=50,200");
    expect(await m.json()).toEqual([{ since: "2026-01-01T00:00:00.000Z", slower: [50, 200] }]);
  });

  it("maps errors to 400 (unusable input) and 409 (problem found), with the fix", async () => {
    const bad = await call("POST", "/workers/shop-api/deployments", { versions: [1, 2, 3] });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: "a deployment holds 1 or 2 versions, got 3",
      kind: "input",
      fix: "deploy `<id>@100`, or `<new>@10 <old>@90`",
    });
    // Checked at the boundary: the edge never sees a malformed split.
    const shape = await call("POST", "/workers/shop-api/deployments", {
      versions: [{ versionId: 7, percentage: "x" }],
    });
    expect(shape.status).toBe(400);
    expect(calls.length).toBe(1);
    const problem = await call("POST", "/workers/shop-api/rollback", {});
    expect(problem.status).toBe(409);
    expect(((await problem.json()) as { kind: string }).kind).toBe("failure");
    expect((await call("GET", "/nope")).status).toBe(404);
    const notJson = await fetch(`${base}/v1/workers/w/deployments`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}` },
      body: "{",
    });
    expect(notJson.status).toBe(400);
  });

  it("serves the dashboard's files without a token, never outside its folder", async () => {
    const index = await fetch(`${base}/`);
    expect(index.headers.get("content-type")).toContain("text/html");
    expect(await index.text()).toBe("<h1>edge</h1>");
    expect((await fetch(`${base}/assets/app.js`)).headers.get("content-type")).toContain("javascript");
    expect((await fetch(`${base}/..%2F..%2Fetc%2Fpasswd`)).status).toBe(404);
    expect((await fetch(`${base}/missing.html`)).status).toBe(404);
    expect((await fetch(`${base}/%E0%A4%A`)).status).toBe(400);
    expect((await call("GET", "/queues/%E0%A4%A")).status).toBe(400);
  });

  it("serves the live dashboard at /dashboard: no token in the page, no framing", async () => {
    const res = await fetch(`${base}/dashboard`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toBe("frame-ancestors 'none'");
    const html = await res.text();
    expect(html).toContain('"mode":"live"');
    expect(html).toContain('"api":"/v1"');
    expect(html).not.toContain(TOKEN);
    expect(dashboardUrl({ controlPort: 9, token: TOKEN })).toBe(`http://127.0.0.1:9/dashboard#token=${TOKEN}`);
    expect(dashboardUrl({ controlPort: 9, token: TOKEN }, { withToken: false })).not.toContain(TOKEN);
  });

  it("records canary analysis polls and lists them since a time", async () => {
    const poll = { t: 1_800_000_000, verdict: "continue", message: "e=1.5 < 20", e: 1.5, threshold: 20 };
    expect((await call("POST", "/workers/shop-api/analysis", { ...poll, numbers: { n: 40, bad: {} } })).status).toBe(
      200,
    );
    await call("POST", "/workers/shop-api/analysis", { ...poll, t: 1_800_000_010, verdict: "rollback", e: "x" });
    expect(analysis.at(-1)).toEqual({
      worker: "shop-api",
      t: 1_800_000_010,
      verdict: "rollback",
      message: "e=1.5 < 20",
      threshold: 20,
    });
    expect(analysis.at(-2)?.numbers).toEqual({ n: 40 });
    const since = new Date(1_800_000_005_000).toISOString();
    const listed = (await (await call("GET", `/workers/shop-api/analysis?since=${since}`)).json()) as AnalysisRecord[];
    expect(listed.map((r) => r.verdict)).toEqual(["rollback"]);
    const bad = await call("POST", "/workers/shop-api/analysis", { verdict: "continue" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toContain("epoch seconds");
  });
});
