import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Edge } from "../../src/platform/local/edge.js";

/** The edge's own pages name the command to run next. */
describe("local edge: 503 and exception pages say what to run next", () => {
  let dir: string;
  let edge: Edge;
  const get = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${edge.routerPort}${path}`);
    return { status: res.status, text: await res.text() };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "bw-pages-"));
    cpSync(join(import.meta.dirname, "fixtures-edge", "probe-d1"), join(dir, "probe-d1"), { recursive: true });
    edge = await Edge.start({ projectDir: dir, port: 0, log: () => {} });
  });

  afterAll(async () => {
    await edge?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("names the deploy command before anything is deployed, then the migration command while one is pending", async () => {
    const empty = await get("/");
    expect(empty.status).toBe(503);
    expect(empty.text).toContain("Next: blastwall versions upload");
    const v = await edge.deployments.upload({
      worker: "probe-d1",
      configPath: join(dir, "probe-d1", "wrangler.jsonc"),
    });
    const undeployed = await get("/__worker/probe-d1/");
    expect(undeployed.status).toBe(503);
    expect(undeployed.text).toContain(`Next: blastwall versions deploy ${v.id.slice(0, 8)}@100 --worker probe-d1`);
    await edge.deployments.deploy("probe-d1", [{ versionId: v.id, percentage: 100 }]);
    const pending = await get("/");
    expect(pending.status).toBe(500);
    expect(pending.text).toContain("D1 database probe-db has 1 pending migration(s), starting with 0001_items.sql");
    expect(pending.text).toContain("Next: blastwall d1 migrations apply --worker probe-d1 --database probe-db");
    await edge.databases.apply("probe-d1", "probe-db");
    const ok = await get("/");
    expect(ok).toEqual({ status: 200, text: "[]" });
  });
});
