import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BlastwallError } from "../core/errors.js";
import {
  checkWorkerNames,
  loadBlastwallConfig,
  parseDuration,
  resolveWorkerConfig,
  validateConfig,
} from "./blastwall-config.js";
import { loadWranglerConfig } from "./wrangler-config.js";

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "bw-config-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

async function loadError(dir: string): Promise<BlastwallError> {
  try {
    await loadBlastwallConfig(dir);
  } catch (err) {
    if (err instanceof BlastwallError) return err;
    throw err;
  }
  throw new Error("expected a BlastwallError");
}

describe("blastwall.config", () => {
  it("loads the example shop's TypeScript config through esbuild", async () => {
    const { file, config } = await loadBlastwallConfig("examples/shop");
    expect(file).toMatch(/examples\/shop\/blastwall\.config\.ts$/);
    const api = resolveWorkerConfig(config, "shop-api", loadWranglerConfig("examples/shop/api/wrangler.jsonc"));
    expect(api.smoke.map((s) => s.name)).toEqual(["GET /healthz", "list orders", "create order", "get cart"]);
    expect(api.smoke[2]).toMatchObject({ method: "POST", expectStatus: [201] });
    expect(api.smoke[2]?.body).toContain('"userId":"smoke-test"');
    expect(api.steps.map((s) => s.percent)).toEqual([5, 25, 50, 100]);
    expect(api.steps[0]).toEqual({
      percent: 5,
      minDurationSeconds: 30,
      minSamples: 100,
      minSamplesSet: true,
      percentSet: true,
    });
    expect(api.analysis.slo).toEqual({ errorRate: 0.02, latencyMs: 1000, latencyQuantile: 0.95 });
    expect(api.pollIntervalSeconds).toBe(5);
    expect(api.soakSeconds).toBe(1800);
    expect(api.noData).toEqual({ deadlineSeconds: 600, action: "rollback" });
  });

  it("gives defaults without a config, watching the Worker's own DLQs and Durable Object classes", async () => {
    const dir = project({});
    const loaded = await loadBlastwallConfig(dir);
    expect(loaded.file).toBeUndefined();
    const consumer = resolveWorkerConfig(
      loaded.config,
      "shop-consumer",
      loadWranglerConfig("examples/shop/consumer/wrangler.jsonc"),
    );
    expect(consumer.steps.map((s) => s.percent)).toEqual([5, 25, 50, 100]);
    expect(consumer.watch).toEqual({ queues: ["order-events-dlq"], durableObjects: [] });
    const api = resolveWorkerConfig(loaded.config, "shop-api", loadWranglerConfig("examples/shop/api/wrangler.jsonc"));
    expect(api.watch.durableObjects).toEqual(["Cart", "BlastwallOpsFlags"]);
    expect(api.analysis).toMatchObject({
      alpha: 0.01,
      toleratedIncrease: 0.05,
      latencyQuantiles: ["p50", "p90", "p99"],
    });
    // A passed deadline pauses for a human unless the user asks for a rollback.
    expect(api.noData).toEqual({ deadlineSeconds: 900, action: "pause" });
  });

  it("accepts blastwall.config.json and names the line of a bad key", async () => {
    const dir = project({
      "blastwall.config.json": `{
  // JSON with comments is fine
  "workers": {
    "api": {
      "steps": [5, 25, 100],
      "analysis": { "alpha": 2 }
    }
  }
}`,
    });
    const err = await loadError(dir);
    expect(err.kind).toBe("input");
    expect(err.message).toMatch(/^workers\.api\.analysis\.alpha: /);
    expect(err.location).toMatchObject({ line: 6 });
    expect(err.location?.file).toMatch(/blastwall\.config\.json$/);
    expect(err.fix).toContain("0.01");
  });

  it("names an unknown key and suggests removing it", () => {
    expect(() => validateConfig({ workers: { api: { stepz: [5, 100] } } }, "blastwall.config.ts")).toThrow(
      /workers\.api\.stepz/,
    );
  });

  it("refuses ramp steps that do not increase or do not end at 100", () => {
    expect(() => validateConfig({ workers: { api: { steps: [5, 50, 25, 100] } } }, "c.ts")).toThrow(
      /workers\.api\.steps\[2\]: ramp steps must increase \(5 → 50 → 25 → 100\)/,
    );
    expect(() => validateConfig({ defaults: { steps: [5, 50] } }, "c.ts")).toThrow(/the last step must be 100/);
  });

  it("reports a TypeScript syntax error with its line", async () => {
    const dir = project({ "blastwall.config.ts": "export default {\n  workers: { api: { steps: [5, 100] }\n" });
    const err = await loadError(dir);
    expect(err.message).toMatch(/cannot bundle the config/);
    expect(err.location?.line).toBeGreaterThan(0);
  });

  it("needs a default export", async () => {
    const err = await loadError(project({ "blastwall.config.ts": "export const config = {};\n" }));
    expect(err.message).toBe("the config has no default export");
  });

  it("checks that configured Workers exist", async () => {
    const loaded = { file: "blastwall.config.ts", config: { workers: { "shop-apx": {} } } };
    expect(() => checkWorkerNames(loaded, ["shop-api", "shop-consumer"])).toThrow(/workers\.shop-apx/);
  });

  it("parses durations", () => {
    expect(parseDuration(90)).toBe(90);
    expect(parseDuration("90s")).toBe(90);
    expect(parseDuration("5m")).toBe(300);
    expect(parseDuration("1h")).toBe(3600);
    expect(parseDuration("250ms")).toBe(0.25);
  });
});
