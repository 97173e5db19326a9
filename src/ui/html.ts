import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { DashboardData } from "./dashboard-data.js";

const require = createRequire(import.meta.url);

function asset(name: string): string {
  // Built layout: dist/ui/html.js beside dist/ui/assets; source layout: src/ui beside src/ui/assets.
  return readFileSync(new URL(`./assets/${name}`, import.meta.url), "utf8");
}

/** JSON that is safe inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface DashboardHtmlOptions {
  /** "live" polls the control API; "report" draws embedded data and never touches the network. */
  mode: "live" | "report";
  title?: string;
  /** Report mode: the data to draw. */
  data?: DashboardData;
  /** Live mode: base path of the control API (same origin). */
  api?: string;
  /** Live mode: the control API's bearer token (the page is only served on loopback). */
  token?: string;
  pollMs?: number;
}

/**
 * Renders the dashboard (or a release report) as one self-contained HTML document: uPlot, styles, script and
 * data are inlined, so it needs no network to view.
 *
 * @example
 * writeFileSync("report.html", renderDashboardHtml({ mode: "report", data }));
 */
export function renderDashboardHtml({
  mode,
  title = "blastwall",
  data,
  api = "/api",
  token,
  pollMs = 1000,
}: DashboardHtmlOptions): string {
  const uplotJs = readFileSync(require.resolve("uplot/dist/uPlot.iife.min.js"), "utf8");
  const uplotCss = readFileSync(require.resolve("uplot/dist/uPlot.min.css"), "utf8");
  const cfg = mode === "live" ? { mode, api, token, pollMs } : { mode, data };
  const reportOnly = mode === "report" ? "" : " hidden";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'">
<title>${escapeHtml(title)} · blastwall</title>
<style>${uplotCss}</style>
<style>${asset("dashboard.css")}</style>
</head>
<body>
<a class="sr-only" href="#main">Skip to content</a>
<header>
  <h1 id="title">${escapeHtml(title)}</h1>
  <span class="meta" id="meta"></span>
  <span id="status" role="status" aria-live="polite"></span>
  <span id="problems" class="problems" aria-live="polite"></span>
</header>
<main id="main">
  <section aria-labelledby="h-versions"><h2 id="h-versions">Versions and split</h2><div id="versions-body"></div></section>
  <section aria-labelledby="h-traffic"><h2 id="h-traffic">Traffic per version</h2><div id="traffic-table"></div></section>
  <section class="wide" aria-labelledby="h-charts"><h2 id="h-charts">Request rate, errors and latency</h2>
    <figure class="chart"><figcaption>Requests per second, per version</figcaption><div id="chart-rps" role="img" aria-label="Requests per second per version"></div></figure>
    <figure class="chart"><figcaption>5xx error rate (%), per version</figcaption><div id="chart-errors" role="img" aria-label="5xx error rate per version"></div></figure>
    <figure class="chart"><figcaption>Latency in ms: p50 dotted, p95 in the version's style, p99 long dashes</figcaption><div id="chart-latency" role="img" aria-label="Latency percentiles per version"></div></figure>
  </section>
  <section class="wide" aria-labelledby="h-analysis"><h2 id="h-analysis">Canary analysis</h2>
    <figure class="chart"><figcaption>Test statistic (e-value) against the decision line 1/α; crossing it rolls back</figcaption><div id="chart-analysis" role="img" aria-label="Canary e-value against the decision line"></div></figure>
    <h3>Decisions</h3><div id="decisions"></div>
  </section>
  <section aria-labelledby="h-flags"><h2 id="h-flags">Ops flags</h2><div id="flags-body"></div></section>
  <section aria-labelledby="h-queues"><h2 id="h-queues">Queues</h2><div id="queues-body"></div></section>
  <section aria-labelledby="h-d1"><h2 id="h-d1">D1 migrations and restore points</h2><div id="d1-body"></div></section>
  <section aria-labelledby="h-history"><h2 id="h-history">Deployment history</h2><div id="history-body"></div></section>
  <section class="wide" id="gates" aria-labelledby="h-gates"${reportOnly}><h2 id="h-gates">Gates and findings</h2><div id="gates-body"></div></section>
</main>
<script>${uplotJs}</script>
<script>window.__BLASTWALL__ = ${scriptJson(cfg)};</script>
<script>${asset("dashboard.js")}</script>
</body>
</html>
`;
}
