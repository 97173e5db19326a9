import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Edge } from "../../src/platform/local/edge.js";
import type { VersionInfo } from "../../src/platform/platform.js";

const FIXTURES = join(import.meta.dirname, "fixtures-edge");
const REPO = join(import.meta.dirname, "..", "..");
const OBJECTS = Array.from({ length: 200 }, (_, i) => `object-${i}`);

interface ObjectAnswer {
  version: string;
  n: number;
  worker: string;
}

/**
 * Durable Objects under a split on the local edge, with a probe Worker whose one class counts writes per object
 * (issue: "Per-object version assignment"; docs/local-edge.md, fidelity rows "Durable Objects during a split").
 */
describe("local edge: each Durable Object runs the version its deployment assigns", () => {
  let dir: string;
  let edge: Edge;
  let v1: VersionInfo;
  let v2: VersionInfo;
  const counts = new Map<string, number>();

  const upload = async (fixture: string, version: string, vars: Record<string, string> = {}) =>
    edge.deployments.upload({
      worker: "probe",
      configPath: join(dir, fixture, "wrangler.jsonc"),
      tag: version,
      vars: { VERSION: version, ...vars },
    });

  /** Hits every object once through the router, from the Worker version `from` when given. */
  const sweep = async (from?: VersionInfo): Promise<Map<string, ObjectAnswer>> => {
    const out = new Map<string, ObjectAnswer>();
    for (const name of OBJECTS) {
      const headers: Record<string, string> = from
        ? { "cloudflare-workers-version-overrides": `probe="${from.id}"` }
        : {};
      const res = await fetch(`http://127.0.0.1:${edge.routerPort}/obj/${name}`, { headers });
      expect(res.status, name).toBe(200);
      const answer = (await res.json()) as ObjectAnswer;
      // Storage belongs to the object: its count goes on from where it was, whichever version runs it.
      expect(answer.n, name).toBe((counts.get(name) ?? 0) + 1);
      counts.set(name, answer.n);
      out.set(name, answer);
    }
    return out;
  };

  const share = (seen: Map<string, ObjectAnswer>, version: string) =>
    [...seen.values()].filter((a) => a.version === version).length / seen.size;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "bw-objects-"));
    cpSync(FIXTURES, dir, { recursive: true });
    // The routes fixture imports blastwall/telemetry as an installed app would.
    mkdirSync(join(dir, "node_modules"), { recursive: true });
    symlinkSync(REPO, join(dir, "node_modules", "blastwall"));
    edge = await Edge.start({ projectDir: dir, port: 0, log: () => {} });
    v1 = await upload("probe", "v1");
    await edge.deployments.deploy("probe", [{ versionId: v1.id, percentage: 100 }]);
    v2 = await upload("probe", "v2");
  });

  afterAll(async () => {
    await edge?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("splits 50/50 over 200 objects, one version per object whichever Worker version calls it, storage intact", async () => {
    await sweep();
    expect(new Set([...counts.values()])).toEqual(new Set([1]));
    await edge.deployments.deploy("probe", [
      { versionId: v2.id, percentage: 50 },
      { versionId: v1.id, percentage: 50 },
    ]);
    const fromV1 = await sweep(v1);
    const fromV2 = await sweep(v2);
    const plain = await sweep();
    for (const name of OBJECTS) {
      const assigned = fromV1.get(name)?.version;
      expect(fromV2.get(name)?.version, name).toBe(assigned);
      expect(plain.get(name)?.version, name).toBe(assigned);
      expect(fromV1.get(name)?.worker).toBe("v1");
      expect(fromV2.get(name)?.worker).toBe("v2");
    }
    const onNew = share(fromV1, "v2");
    expect(onNew).toBeGreaterThanOrEqual(0.35);
    expect(onNew).toBeLessThanOrEqual(0.65);

    // Grown in the same order: no object already on v2 leaves it.
    await edge.deployments.deploy("probe", [
      { versionId: v2.id, percentage: 80 },
      { versionId: v1.id, percentage: 20 },
    ]);
    const grown = await sweep(v1);
    const again = await sweep(v2);
    for (const name of OBJECTS) {
      if (fromV1.get(name)?.version === "v2") expect(grown.get(name)?.version, name).toBe("v2");
      expect(again.get(name)?.version, name).toBe(grown.get(name)?.version);
    }
    const onNewGrown = share(grown, "v2");
    expect(onNewGrown).toBeGreaterThanOrEqual(0.68);
    expect(onNewGrown).toBeLessThanOrEqual(0.92);
  });

  it("reads a property over RPC through the version proxy, from the version that runs the object", async () => {
    const assigned = await sweep();
    for (const name of OBJECTS.slice(0, 40)) {
      const res = await fetch(`http://127.0.0.1:${edge.routerPort}/rpc/${name}`);
      expect(res.status, name).toBe(200);
      const answer = (await res.json()) as { label: string; count: number };
      expect(answer.label, name).toBe(`counter on ${assigned.get(name)?.version}`);
      expect(answer.count, name).toBe(counts.get(name));
    }
  });

  it("counts requests by the route label the Worker's telemetry writes, and keeps the label off the response", async () => {
    const r1 = await edge.deployments.upload({ worker: "routes", configPath: join(dir, "routes", "wrangler.jsonc") });
    await edge.deployments.deploy("routes", [{ versionId: r1.id, percentage: 100 }]);
    const since = new Date(Math.floor(Date.now() / 1000) * 1000);
    const hit = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${edge.routerPort}/__worker/routes${path}`);
      await res.text();
      expect(res.headers.get("x-blastwall-route")).toBeNull();
      return res.status;
    };
    for (let i = 1; i <= 20; i++) await hit(`/orders/${i}`);
    for (let i = 0; i < 5; i++) await hit("/healthz");
    for (let i = 0; i < 3; i++) await hit(`/static/${i}`);
    const [m] = edge.signals.metrics({
      worker: "routes",
      since,
      until: new Date(Date.now() + 1000),
      slowerThanMs: [60_000],
    });
    expect(m?.requests).toBe(28);
    expect(m?.byRoute).toEqual({
      "orders/:id": { requests: 20, errors: 5, slowerThan: { "60000": 0 } },
      healthz: { requests: 5, errors: 0, slowerThan: { "60000": 0 } },
      other: { requests: 3, errors: 0, slowerThan: { "60000": 0 } },
    });
    expect(m?.latency.p90).toBeGreaterThan(0);
  });

  it("refuses, before anything moves, a deployment with a version lacking a class its objects need", async () => {
    const before = edge.deployments.current("probe");
    const bare = await upload("probe-noclass", "v3");
    await expect(
      edge.deployments.deploy("probe", [
        { versionId: bare.id, percentage: 10 },
        { versionId: v2.id, percentage: 90 },
      ]),
    ).rejects.toThrow(/does not define the Durable Object class Counter/);
    expect(edge.deployments.current("probe")).toEqual(before);
    await sweep();
  });

  it("attributes an error in Durable Object code to the version that ran the object, not the caller", async () => {
    const since = new Date(Date.now() - 1000);
    const buggy = await upload("probe", "v-bug", { BUG: "do" });
    await edge.deployments.deploy("probe", [
      { versionId: buggy.id, percentage: 30 },
      { versionId: v2.id, percentage: 70 },
    ]);
    let failed = 0;
    for (const name of OBJECTS) {
      // Every request comes through the stable version's Worker code; only objects assigned to the canary fail.
      const res = await fetch(`http://127.0.0.1:${edge.routerPort}/obj/${name}`, {
        headers: { "cloudflare-workers-version-overrides": `probe="${v2.id}"` },
      });
      const answer = (await res.json()) as ObjectAnswer & { degraded?: boolean };
      if (answer.degraded) failed++;
      else counts.set(name, answer.n);
    }
    expect(failed).toBeGreaterThan(0);
    const signals = edge.signals.extraSignals({ worker: "probe", since, queues: [], durableObjects: ["Counter"] });
    expect(signals.durableObjectErrors.Counter).toBe(failed);
    expect(signals.byVersion?.[buggy.id]?.durableObjectErrors.Counter).toBe(failed);
    expect(signals.byVersion?.[v2.id]?.durableObjectErrors.Counter).toBe(0);
    // Rolled back: the objects the canary served keep their storage.
    await edge.deployments.deploy("probe", [{ versionId: v2.id, percentage: 100 }]);
    await sweep();
  });

  it("keeps each object on its version and every write across an edge restart", async () => {
    const before = await sweep();
    await edge.stop();
    edge = await Edge.start({ projectDir: dir, port: 0, log: () => {} });
    const after = await sweep();
    for (const name of OBJECTS) expect(after.get(name)?.version, name).toBe(before.get(name)?.version);
  });
});
