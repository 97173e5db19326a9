import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LogLevel } from "miniflare";
import { afterAll, describe, expect, it } from "vitest";
import { EdgeQueues } from "./queues.js";
import { EdgeRuntime } from "./runtime.js";
import { EdgeState, edgePaths, type VersionRecord } from "./state.js";

const dir = mkdtempSync(join(tmpdir(), "bw-queues-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function version(id: string, createdAt: string): VersionRecord {
  return {
    id,
    worker: "consumer",
    createdAt,
    runtimeName: `consumer@${id}`,
    configPath: join(dir, "wrangler.jsonc"),
    bundleDir: dir,
    modules: [],
    compatibilityDate: "2025-01-01",
    compatibilityFlags: [],
    bindings: {
      vars: {},
      d1: [],
      kv: [],
      r2: [],
      durableObjects: [],
      producers: [],
      consumers: [{ queue: "orders", deadLetterQueue: "orders-dlq" }],
    },
  };
}

describe("queue consumers during a split", () => {
  it("draws each batch's consumer version by the split", async () => {
    const paths = edgePaths(dir);
    const state = new EdgeState(paths.stateFile);
    state.addVersion(version("old", "2026-01-01T00:00:00Z"));
    state.addVersion(version("new", "2026-01-02T00:00:00Z"));
    state.addDeployment(
      "consumer",
      [
        { versionId: "new", percentage: 10 },
        { versionId: "old", percentage: 90 },
      ],
      "deployment",
    );
    const services = { broker: async () => new Response(), signals: async () => new Response() };
    const runtime = new EdgeRuntime({
      projectDir: dir,
      paths,
      state,
      adminToken: "t",
      logLevel: LogLevel.NONE,
      services,
    });
    let seed = 1;
    // A small LCG: the same draws every run.
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const queues = new EdgeQueues({ file: paths.queuesDb, state, runtime, log: () => {}, random });
    const picks = Array.from({ length: 2000 }, () => queues.consumerOf("orders")?.versionId);
    const canary = picks.filter((v) => v === "new").length / picks.length;
    expect(canary).toBeGreaterThan(0.07);
    expect(canary).toBeLessThan(0.13);
    expect(picks.every((v) => v === "new" || v === "old")).toBe(true);
    expect(queues.consumerOf("nobody-consumes-this")).toBeUndefined();
    await queues.broker.stop();
  });
});
