import { DURATION_HINT, durationMs } from "../../core/duration.js";
import { UsageError } from "../../core/errors.js";
import { defineCommand } from "../command.js";
import { PLATFORM_OPTIONS, platformFor, shortId, table, WORKER_OPTION, workerFor } from "../platform-options.js";

/** `--since`: a window with its unit, in milliseconds. */
function sinceMs(text: string): number {
  const ms = durationMs(text);
  if (ms === undefined) throw new UsageError(`--since ${text} is not a duration`, DURATION_HINT);
  return ms;
}

/** `blastwall metrics`: per version over a window: requests, 5xx, exceptions, latency p50/p95/p99. */
export default defineCommand({
  name: "metrics",
  group: "Release",
  summary: "Per-version requests, 5xx, exceptions and latency p50/p95/p99 over a window",
  options: {
    ...PLATFORM_OPTIONS,
    ...WORKER_OPTION,
    since: { type: "string", description: "window, e.g. 30s, 5m (default), 1h", valueName: "<duration>" },
  },
  json: true,
  examples: ["blastwall metrics", "blastwall metrics --since 1m --json"],
  run: async (ctx) => {
    const windowMs = sinceMs(ctx.options.since ?? "5m");
    const { platform, projectDir } = await platformFor(ctx, ["signals"]);
    const { name } = workerFor(ctx, projectDir);
    const until = new Date();
    const since = new Date(until.getTime() - windowMs);
    const metrics = await platform.metrics({ worker: name, since, until });
    const total = metrics.reduce((s, m) => s + m.requests, 0);
    if (ctx.options.json) {
      ctx.out.data({
        worker: name,
        since: since.toISOString(),
        until: until.toISOString(),
        versions: metrics.map(({ histogram: _h, ...m }) => m),
      });
      return 0;
    }
    if (total === 0) {
      ctx.out.line(`${name}: no requests in the last ${ctx.options.since ?? "5m"}`);
      return 0;
    }
    const rows = [["version", "requests", "share", "5xx", "exceptions", "p50 ms", "p95 ms", "p99 ms"]];
    for (const m of metrics) {
      const rate = m.requests ? ((m.status["5xx"] / m.requests) * 100).toFixed(1) : "0.0";
      rows.push([
        shortId(m.versionId),
        String(m.requests),
        total ? `${((m.requests / total) * 100).toFixed(1)}%` : "-",
        `${m.status["5xx"]} (${rate}%)`,
        String(m.exceptions),
        m.latency.p50.toFixed(1),
        m.latency.p95.toFixed(1),
        m.latency.p99.toFixed(1),
      ]);
    }
    ctx.out.line(ctx.out.bold(name));
    for (const l of table(rows)) ctx.out.line(`  ${l}`);
    return 0;
  },
});
