import { describe, expect, it } from "vitest";
import type { DashboardData } from "./dashboard-data.js";
import { renderDashboardHtml } from "./html.js";

const data: DashboardData = {
  title: "release </script><script>alert(1)</script>",
  generatedAt: "2026-01-01T00:00:00.000Z",
  target: "local",
  workers: [],
  series: [],
  analysis: { points: [], decisions: [] },
  flags: [{ name: "</script><img src=x onerror=alert(1)>", value: "1" }],
  queues: [],
  databases: [],
};

describe("dashboard html", () => {
  it("is self-contained: no external scripts, styles or fonts", () => {
    const html = renderDashboardHtml({ mode: "report", data });
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=["']?(https?:)?\/\//i);
    expect(html).toContain("uPlot");
    expect(html).toContain("default-src 'none'");
  });

  it("embeds data so that it cannot close the script element", () => {
    const html = renderDashboardHtml({ mode: "report", data, title: data.title });
    const cfgLine = html.split("\n").find((l) => l.includes("window.__BLASTWALL__")) ?? "";
    expect(cfgLine).not.toContain("</script><");
    expect(cfgLine).toContain("\\u003c/script>");
    expect(html).toContain("<title>release &#60;/script&#62;");
  });

  it("passes the control API and token to the live page only", () => {
    const live = renderDashboardHtml({ mode: "live", api: "/api", token: "t0k" });
    expect(live).toContain('"mode":"live"');
    expect(live).toContain('"token":"t0k"');
    const cfgLine = (html: string) => html.split("\n").find((l) => l.includes("window.__BLASTWALL__ =")) ?? "";
    expect(cfgLine(renderDashboardHtml({ mode: "report", data }))).not.toContain('"token"');
    // The edge's page carries no token: it reads it from the URL fragment.
    expect(cfgLine(renderDashboardHtml({ mode: "live", api: "/v1" }))).toBe(
      '<script>window.__BLASTWALL__ = {"mode":"live","api":"/v1","pollMs":1000};</script>',
    );
  });
});
