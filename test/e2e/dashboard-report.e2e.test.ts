import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DashboardData } from "../../src/ui/dashboard-data.js";
import { renderDashboardHtml } from "../../src/ui/html.js";

// A report page needs no edge: chromium draws the embedded data, so every section's table or its "none" note is
// checked here in seconds (the live dashboard, with traffic and levers, is dashboard.e2e.test.ts).
const data: DashboardData = {
  title: "report",
  generatedAt: "2026-01-01T00:00:00.000Z",
  target: "local",
  workers: [
    {
      name: "shop-api",
      versions: [{ id: "v1-0000-aaaa", worker: "shop-api", createdAt: "2026-01-01T00:00:00.000Z", tag: "v1" }],
      deployments: [],
    },
  ],
  series: [
    {
      worker: "shop-api",
      versionId: "v1-0000-aaaa",
      label: "v1",
      points: [
        { t: Date.parse("2026-01-01T00:00:00.000Z") / 1000, requests: 40, rps: 40, errors5xx: 2, errorRate: 5 },
      ].map((p) => ({ ...p, p50: 10, p95: 20, p99: 30 })),
    },
  ],
  analysis: { points: [], decisions: [] },
  flags: [{ name: "disable_writes", value: "0" }],
  queues: [],
  databases: [{ worker: "shop-api", database: "shop", migrations: [], restorePoints: [] }],
  gates: [{ name: "check", outcome: "ok", detail: "0 findings" }],
  findings: [],
};

describe("release report in a browser", () => {
  let context: BrowserContext;
  let page: Page;
  let profile: string;

  beforeAll(async () => {
    profile = mkdtempSync(join(tmpdir(), "bw-chromium-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: "/usr/bin/chromium",
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
    });
    page = context.pages()[0] ?? (await context.newPage());
    await page.setContent(renderDashboardHtml({ mode: "report", data }));
  });

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  const section = (id: string) => page.locator(`#${id}`);

  it("draws a table where there are rows, with its caption", async () => {
    await expect.poll(() => section("flags-body").locator("caption").textContent()).toBe("ops flags");
    expect(await section("flags-body").locator("tbody tr").count()).toBe(1);
    expect(await section("gates-body").locator("caption").first().textContent()).toBe("gates");
    const row = section("traffic-table").locator('tr[data-version-id="v1-0000-aaaa"][data-worker="shop-api"]');
    expect(await row.locator("td").allTextContents()).toEqual([
      "shop-api",
      "v1",
      "not deployed",
      "40",
      "5.0%",
      "40",
      "5.0%",
      "20.0 ms",
    ]);
    expect(await section("traffic-table").locator("caption").textContent()).toBe("traffic per version");
  });

  it("says so where there is nothing to list", async () => {
    const empty = async (id: string) => section(id).locator("p.empty").allTextContents();
    expect(await empty("versions-body")).toEqual(["not deployed"]);
    expect(await empty("queues-body")).toEqual(["no queues"]);
    expect(await empty("d1-body")).toEqual(["no migrations"]);
    expect(await empty("history-body")).toEqual(["no deployments"]);
    expect(await empty("gates-body")).toEqual(["no findings"]);
    expect(await empty("decisions")).toEqual(["no decisions yet"]);
    expect(await section("flags-body").locator("p.empty").count()).toBe(0);
  });
});
