import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { writeFaultyVariant } from "../../src/project/fault.js";
import { cli, type ShopEdge, startShopEdge } from "./helpers.js";
import { generateTraffic, readHtml, release, servedBy, type Traffic, writeFastConfig } from "./release-kit.js";

// The done-when, on the real local edge with examples/shop under generated traffic: `release` promotes a
// good v2, rolls back 5xx and latency regressions, never sends traffic to a candidate that fails a smoke check,
// and refuses a contract migration shipped with a code change.

describe("release on the local edge", () => {
  let shop: ShopEdge;
  let traffic: Traffic | undefined;
  let stable = "";

  const api = () => join(shop.dir, "api", "wrangler.jsonc");
  const current = () => shop.platform.currentDeployment("shop-api");

  beforeAll(async () => {
    shop = await startShopEdge("release");
    writeFastConfig(shop.dir);
    // v1: the first deployment applies the shop's migrations and goes straight to 100%.
    const first = await release(shop.dir, ["--worker", "shop-api"]);
    expect(first.report.outcome, first.stderr).toBe("promoted");
    stable = first.report.candidate ?? "";
  });

  afterEach(async () => {
    await traffic?.stop();
    traffic = undefined;
  });

  afterAll(async () => {
    await traffic?.stop();
    await shop?.teardown();
  });

  it("promotes a good v2 to 100%, printing the split and the test statistics at each poll", async () => {
    traffic = generateTraffic(shop);
    const { code, report, stderr } = await release(shop.dir, ["--worker", "shop-api", "--var", "BUILD=v2-good"]);
    expect(report.outcome, `${report.reason}\n${stderr}`).toBe("promoted");
    expect(code).toBe(0);
    const v2 = report.candidate ?? "";
    expect(v2).not.toBe(stable);
    expect(servedBy(await current())).toEqual([`${v2}@100`]);
    // Plain progress: every poll prints the split and each test's e-value against its threshold.
    const polls = stderr.split("\n").filter((l) => l.includes("split 50/50"));
    expect(polls.length).toBeGreaterThan(0);
    expect(polls[0]).toMatch(/errors e=[\d.]+\/\d+/);
    expect(report.steps[0]?.decision).toMatch(/^advance: 50%/);
    // The HTML report: beside the JSON, self-contained, with the decision.
    expect(report.htmlReport).toBe(join(shop.dir, ".blastwall", "releases", `${report.release}.html`));
    expect(existsSync(join(shop.dir, ".blastwall", "releases", `${report.release}.json`))).toBe(true);
    const html = readHtml(report);
    expect(html).not.toMatch(/\s(src|href)=["']?https?:/i);
    expect(html).toContain(`${v2.slice(0, 8)} serves 100%`);
    expect(html).toContain("blastwall check");
    stable = v2;
  });

  it("rolls back a v2 that returns 5xx on 5% of requests, and says why with the numbers", async () => {
    const bad = writeFaultyVariant(api(), { errorRate: 0.05 });
    try {
      traffic = generateTraffic(shop);
      const { code, report, stderr } = await release(shop.dir, ["--config", bad.configPath]);
      expect(report.worker).toBe("shop-api");
      expect(report.outcome, `${report.reason}\n${stderr}`).toBe("rolled-back");
      expect(code).toBe(1);
      expect(report.reason).toMatch(/5xx [\d.]+% \(\d+\/\d+\)/);
      expect(report.reason).toMatch(/e=[\d.]+/);
      expect(stderr).toContain(`rolled back to ${stable.slice(0, 8)}`);
      expect(servedBy(await current())).toEqual([`${stable}@100`]);
      const html = readHtml(report);
      expect(html).toContain("rolled-back");
      expect(html).not.toMatch(/\s(src|href)=["']?https?:/i);
    } finally {
      bad.cleanup();
    }
  });

  it("rolls back a v2 that is 200 ms slower at p95", async () => {
    const slow = writeFaultyVariant(api(), { latencyMs: 200 });
    try {
      traffic = generateTraffic(shop);
      const { report, stderr } = await release(shop.dir, ["--config", slow.configPath]);
      expect(report.outcome, `${report.reason}\n${stderr}`).toBe("rolled-back");
      expect(report.reason).toMatch(/p95|slower|latency/);
      expect(servedBy(await current())).toEqual([`${stable}@100`]);
    } finally {
      slow.cleanup();
    }
  });

  it("never sends traffic to a candidate that fails a smoke check", async () => {
    const broken = writeFaultyVariant(api(), { errorRate: 1, only: ["/carts"] });
    try {
      traffic = generateTraffic(shop);
      const { report, stderr } = await release(shop.dir, ["--config", broken.configPath]);
      expect(report.outcome, `${report.reason}\n${stderr}`).toBe("rolled-back");
      expect(report.reason).toContain("smoke check failed: get cart");
      const cand = report.candidate ?? "";
      expect(cand).not.toBe("");
      // Its share stayed 0 in every deployment...
      const deployments = await shop.platform.listDeployments("shop-api");
      const shares = deployments.flatMap((d) =>
        d.versions.filter((v) => v.versionId === cand).map((v) => v.percentage),
      );
      expect(shares.length).toBeGreaterThan(0);
      expect(shares.every((p) => p === 0)).toBe(true);
      await traffic.stop();
      // ...the generated traffic never reached it, and the edge counted only the release's override requests.
      expect(traffic.seen.length).toBeGreaterThan(50);
      expect(traffic.seen.some((s) => s.version === cand)).toBe(false);
      const metrics = await shop.platform.metrics({ worker: "shop-api", since: new Date(report.startedAt) });
      const served = metrics.find((m) => m.versionId === cand)?.requests ?? 0;
      // The smoke checks, plus the probe(s) that waited for the override to reach the candidate.
      expect(served).toBeGreaterThan(report.smoke.length);
      expect(served).toBeLessThanOrEqual(report.smoke.length + 3);
      expect(servedBy(await current())).toEqual([`${stable}@100`]);
    } finally {
      broken.cleanup();
    }
  });

  it("refuses a contract migration combined with a code change, and prints the split", async () => {
    const migration = join(shop.dir, "migrations", "0005_drop_orders_item_count.sql");
    // Reviewed and suppressed for `check`, so the gate passes: the blast-window rule still refuses to ship it
    // with a code change.
    writeFileSync(
      migration,
      "-- blastwall-ignore d1/drop-column: item_count is no longer read since v2\nALTER TABLE orders DROP COLUMN item_count;\n",
    );
    try {
      const r = await cli(shop.dir, ["release", "--worker", "shop-api", "--var", "BUILD=v3"]);
      expect(r.code, r.stderr).toBe(1);
      const text = r.stdout + r.stderr;
      expect(text).toMatch(/refused: .*0005_drop_orders_item_count\.sql/);
      expect(text).toContain("split it into two releases:");
      expect(text).toMatch(/\n {2}1\. |release 1|first/i);
      // The last line: where the HTML report is.
      expect(r.stdout.trim().split("\n").pop()).toMatch(/^report: \.blastwall\/releases\/r-\w+\.html/);
      // plan reads the same verdict from the platform, and knows which DO migrations already run (the shop's v2).
      const plan = await cli(shop.dir, ["plan", "--worker", "shop-api", "--var", "BUILD=v3", "--json"]);
      expect(plan.code, plan.stderr).toBe(1);
      const planned = JSON.parse(plan.stdout) as {
        plans: { blastWindow: { verdict: string }; durableObjectTag: unknown; durableObjects: unknown[] }[];
      };
      expect(planned.plans[0]?.blastWindow.verdict).toBe("refuse");
      expect(planned.plans[0]?.durableObjectTag).toEqual({ known: true, tag: "v2" });
      expect(planned.plans[0]?.durableObjects).toEqual([]);
      // Nothing moved: v2 still serves everything, the migration is still pending.
      expect(servedBy(await current())).toEqual([`${stable}@100`]);
      const migrations = await shop.platform.listMigrations("shop-api", "shop");
      expect(migrations.find((m) => m.name === "0005_drop_orders_item_count.sql")?.applied).toBe(false);
    } finally {
      rmSync(migration, { force: true });
    }
  });
});
