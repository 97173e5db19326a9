import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadProject } from "../project/discover.js";
import { buildRunbook } from "../runbook/index.js";
import { drillWorkers, incidentFor } from "./drill.js";

const repo = new URL("../../", import.meta.url).pathname;

describe("drillWorkers", () => {
  it("drills a Worker with fetch, queue and scheduled as both the HTTP Worker and the consumer", () => {
    const project = loadProject(join(repo, "test/fixtures/all-in-one"));
    const { http, consumer } = drillWorkers(project);
    expect(http.name).toBe("all-in-one");
    expect(consumer?.name).toBe("all-in-one");
    // The consumer drill finds its runbook section for that Worker's queue.
    const section = incidentFor(buildRunbook(project, { target: "local" }), "queue-consumer-regression", "jobs");
    expect(section.steps.flatMap((s) => s.argv ?? []).join(" ")).toContain("rollback --worker all-in-one");
  });

  it("keeps the shop's split: api serves HTTP, consumer consumes", () => {
    const { http, consumer } = drillWorkers(loadProject(join(repo, "examples/shop")));
    expect([http.name, consumer?.name]).toEqual(["shop-api", "shop-consumer"]);
  });

  it("refuses a project whose only Worker has no fetch(), saying why", () => {
    const dir = mkdtempSync(join(tmpdir(), "bw-drill-"));
    writeFileSync(
      join(dir, "wrangler.json"),
      JSON.stringify({ name: "jobs", main: "index.ts", queues: { consumers: [{ queue: "jobs" }] } }),
    );
    writeFileSync(join(dir, "index.ts"), "export default { async queue(b) { b.ackAll(); } };");
    expect(() => drillWorkers(loadProject(dir))).toThrow(/no HTTP Worker/);
  });
});
