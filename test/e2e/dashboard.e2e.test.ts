import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Locator, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFaultyVariant } from "../../src/project/fault.js";
import { cli, cliJson, REPO, type ShopEdge, startShopEdge, type UploadedVersion, upload } from "./helpers.js";

const SHOTS = join(REPO, "test-results", "screenshots");
// Generous: the CI machine has 2 cores shared with workerd, the edge and chromium.
const SLOW = { timeout: 60_000, interval: 250 };

interface ChartData {
  labels: string[];
  data: (number | null)[][];
}

/** Keeps a little steady traffic on the router until stopped: mostly D1 reads (faultable), some health checks. */
function startTraffic(shop: ShopEdge): { stop: () => Promise<void> } {
  let running = true;
  const loop = async (i: number) => {
    let n = i;
    while (running) {
      const path = n++ % 4 === 0 ? "/healthz" : "/orders?user=dash";
      try {
        await (await fetch(shop.url(path))).arrayBuffer();
      } catch {
        // the edge is reloading a version: the next request waits at its gate
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const loops = [0, 1, 2, 3].map((i) => loop(i));
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** The labels and data of one uPlot chart on the page, as it charts them. */
function chartData(page: Page, id: string): Promise<ChartData> {
  return page.evaluate((chartId) => {
    type Plot = { series: { label?: string }[]; data: (number | null)[][] };
    const state = (globalThis as unknown as { __blastwallDashboard?: { charts: Map<string, { plot: Plot }> } })
      .__blastwallDashboard;
    const plot = state?.charts.get(chartId)?.plot;
    if (!plot) return { labels: [], data: [] };
    return { labels: plot.series.slice(1).map((s) => s.label ?? ""), data: plot.data.slice(1) };
  }, id);
}

/** Highest value of the series whose label contains `label`, over the last `points` points. */
function recentMax(chart: ChartData, label: string, points = 30): number {
  const i = chart.labels.findIndex((l) => l.includes(label));
  const values = (chart.data[i] ?? []).slice(-points).filter((v): v is number => typeof v === "number");
  return values.length ? Math.max(...values) : Number.NaN;
}

/** The "5xx rate (last 30 s)" figure of a version's row in the traffic table, in percent. */
async function recentErrorRate(page: Page, versionId: string): Promise<number> {
  const cell = page.locator(`#traffic-table tr[data-version-id="${versionId}"] .recent-error-rate`);
  return Number.parseFloat(await text(cell));
}

/** A locator's text now, or "" while it is not on the page (polls retry; no long per-call waits). */
function text(locator: Locator): Promise<string> {
  return locator
    .textContent({ timeout: 1000 })
    .then((t) => t ?? "")
    .catch(() => "");
}

async function writeStatus(shop: ShopEdge): Promise<number> {
  const res = await fetch(shop.url("/orders"), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId: "dash", items: [{ sku: "sku-1", quantity: 1, priceCents: 100 }] }),
  });
  await res.arrayBuffer();
  return res.status;
}

describe("dashboard in a browser", () => {
  let shop: ShopEdge;
  let v1: UploadedVersion;
  let v2: UploadedVersion;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  let traffic: { stop: () => Promise<void> } | undefined;
  let origin: string;
  const requested: string[] = [];

  beforeAll(async () => {
    shop = await startShopEdge("dashboard");
    expect((await cli(shop.dir, ["d1", "migrations", "apply"])).code).toBe(0);
    v1 = await upload(shop, "shop-api", "v1");
    await cliJson(shop.dir, ["versions", "deploy", `${v1.id}@100`, "--message", "first"]);
    v2 = await upload(shop, "shop-api", "v2");
    await cliJson(shop.dir, ["versions", "deploy", `${v2.id}@50`, `${v1.id}@50`, "--message", "canary v2"]);
    traffic = startTraffic(shop);

    mkdirSync(SHOTS, { recursive: true });
    profile = mkdtempSync(join(tmpdir(), "bw-chromium-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: "/usr/bin/chromium",
      headless: true,
      viewport: { width: 1400, height: 1800 },
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on("request", (req) => requested.push(req.url()));
    const url = shop.platform.dashboardUrl();
    origin = new URL(url).origin;
    await page.goto(url);
  });

  afterAll(async () => {
    await traffic?.stop();
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await shop?.teardown();
  });

  it("shows both versions of the canary deployment with their traffic", async () => {
    const status = await cli(shop.dir, ["local", "status"]);
    expect(status.stdout).toContain(`dashboard  ${shop.platform.dashboardUrl()}`);
    // The token came in the fragment and left the address bar.
    expect(page.url()).not.toContain("token=");
    const versions = page.locator("#versions-body");
    await expect.poll(() => versions.textContent(), SLOW).toContain("v2");
    expect(await versions.textContent()).toContain("v1");
    const row = (v: UploadedVersion) => page.locator(`#traffic-table tr[data-version-id="${v.id}"]`);
    await expect.poll(() => text(row(v2)), SLOW).toContain("canary 50%");
    await expect.poll(() => text(row(v1)), SLOW).toContain("stable 50%");
    await expect.poll(async () => recentMax(await chartData(page, "chart-rps"), "v2"), SLOW).toBeGreaterThan(0);
    await expect.poll(async () => recentMax(await chartData(page, "chart-rps"), "v1"), SLOW).toBeGreaterThan(0);
    await page.screenshot({ path: join(SHOTS, "dashboard-1-canary.png"), fullPage: true });
  });

  it("charts the errors of a bad canary, its analysis, and shows the rollback", async () => {
    const bad = writeFaultyVariant(join(shop.dir, "api", "wrangler.jsonc"), { errorRate: 0.3, spare: ["/healthz"] });
    let v3: { id: string };
    try {
      v3 = await shop.platform.uploadVersion({ worker: "shop-api", configPath: bad.configPath, tag: "v3-bad" });
    } finally {
      bad.cleanup();
    }
    await shop.platform.deploy("shop-api", [
      { versionId: v3.id, percentage: 50 },
      { versionId: v1.id, percentage: 50 },
    ]);
    await expect.poll(() => recentErrorRate(page, v3.id), SLOW).toBeGreaterThan(10);
    await expect.poll(async () => recentMax(await chartData(page, "chart-errors"), "v3-bad"), SLOW).toBeGreaterThan(10);
    expect(await recentErrorRate(page, v1.id)).toBeLessThan(1);

    // What the release engine records at each poll; the dashboard charts e against 1/α and lists the decisions.
    const t0 = Math.floor(Date.now() / 1000) - 3;
    await shop.platform.recordAnalysis({
      worker: "shop-api",
      t: t0,
      verdict: "continue",
      message: "e=2.1 < 20",
      e: 2.1,
      threshold: 20,
      numbers: { canaryErrors: 9, canaryRequests: 30 },
    });
    await shop.platform.recordAnalysis({
      worker: "shop-api",
      t: t0 + 2,
      verdict: "rollback",
      message: "e=48.7 ≥ 20: canary 5xx 30.0% vs stable 0.0%",
      e: 48.7,
      threshold: 20,
      numbers: { canaryErrors: 27, canaryRequests: 90 },
    });
    await expect.poll(() => page.locator("#decisions").textContent(), SLOW).toContain("ROLLBACK");
    expect(await page.locator("#decisions").textContent()).toContain("canaryErrors=27");
    const analysis = await chartData(page, "chart-analysis");
    expect(recentMax(analysis, "errors")).toBeCloseTo(48.7);
    expect(recentMax(analysis, "decision line")).toBe(20);
    await page.screenshot({ path: join(SHOTS, "dashboard-2-bad-canary.png"), fullPage: true });

    await shop.platform.rollback("shop-api", { message: "bad canary v3" });
    const current = page.locator(".current-deployment");
    await expect.poll(() => current.textContent(), SLOW).toContain("ROLLBACK");
    expect(await current.textContent()).toContain("bad canary v3");
    await expect.poll(() => page.locator("#history-body").textContent(), SLOW).toMatch(/ROLLBACK[\s\S]*@100%/);
    const split = await page.locator("#versions-body table").textContent();
    expect(split).toContain("100%");
    expect(split).not.toContain("v3-bad");
    // Traffic no longer reaches the bad version: its row says so.
    await expect
      .poll(() => text(page.locator(`#traffic-table tr[data-version-id="${v3.id}"]`)), SLOW)
      .toContain("not deployed");
    await page.screenshot({ path: join(SHOTS, "dashboard-3-rolled-back.png"), fullPage: true });
  });

  it("flips disable_writes from its labelled button: writes answer 503, then work again", async () => {
    expect(await writeStatus(shop)).toBe(201);
    const flags = page.locator("#flags-body");
    await expect.poll(() => flags.textContent(), SLOW).toContain("fails open");
    const on = page.getByRole("button", { name: "Turn disable_writes on" });
    await on.focus();
    await on.click();
    await expect.poll(() => writeStatus(shop), SLOW).toBe(503);
    const off = page.getByRole("button", { name: "Turn disable_writes off" });
    await expect.poll(() => off.count(), SLOW).toBe(1);
    // Keyboard focus survives the table's redraw.
    const doc = (b: unknown) =>
      b === (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement;
    expect(await off.evaluate(doc)).toBe(true);
    expect(await flags.textContent()).toMatch(/disable_writes\s*ON[\s\S]*by dashboard/);
    await page.screenshot({ path: join(SHOTS, "dashboard-4-writes-disabled.png"), fullPage: true });
    await off.click();
    await expect.poll(() => writeStatus(shop), SLOW).toBe(201);
  });

  it("pauses and resumes a queue's delivery from its labelled button", async () => {
    const row = page
      .locator("#queues-body tbody tr")
      .filter({ has: page.locator("td:first-child code", { hasText: /^order-events-dlq$/ }) });
    const queues = page.locator("#queues-body");
    await page.getByRole("button", { name: "Pause delivery of order-events-dlq" }).click();
    await expect.poll(() => text(row), SLOW).toContain("PAUSED");
    expect((await shop.platform.queueState("order-events-dlq")).paused).toBe(true);
    await page.getByRole("button", { name: "Resume delivery of order-events-dlq" }).click();
    await expect.poll(() => text(row), SLOW).toContain("RUNNING");
    expect(await text(queues)).toContain("order-events");
  });

  it("made no request outside the edge's own origin", () => {
    expect(requested.length).toBeGreaterThan(3);
    const outside = requested.filter((u) => new URL(u).origin !== origin && !u.startsWith("data:"));
    expect(outside).toEqual([]);
  });
});
