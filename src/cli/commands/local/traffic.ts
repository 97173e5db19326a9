import { UsageError } from "../../../core/errors.js";
import { createLocalPlatform } from "../../../platform/local/client.js";
import { findProjectDir } from "../../../platform/local/find-project.js";
import { type Duration, parseDuration } from "../../../project/blastwall-config.js";
import { defineCommand } from "../../command.js";
import { PROJECT_OPTION } from "../../platform-options.js";

interface TrafficCounts {
  sent: number;
  byStatus: Record<string, number>;
}

function positive(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`--${name} ${value} is not a positive number`, `e.g. --${name} 20`);
  return n;
}

function durationSeconds(value: string): number {
  try {
    return parseDuration(/^\d+(\.\d+)?$/.test(value) ? Number(value) : (value as Duration));
  } catch {
    throw new UsageError(`--duration ${value} is not a duration`, "e.g. --duration 90s or --duration 5m");
  }
}

/**
 * GETs the paths round-robin at a steady rate; each simulated user keeps its version key, as a browser session
 * would. Stops at the deadline, on Ctrl-C, or when the edge goes away (after `local down`).
 */
async function drive(
  base: string,
  { paths, rps, until, signal }: { paths: string[]; rps: number; until: number; signal: AbortSignal },
): Promise<TrafficCounts & { edgeGone: boolean }> {
  const counts: TrafficCounts = { sent: 0, byStatus: {} };
  let refused = 0;
  for (let i = 0; Date.now() < until && !signal.aborted; i++) {
    const started = Date.now();
    try {
      const res = await fetch(`${base}${paths[i % paths.length]}`, {
        headers: { "cloudflare-workers-version-key": `user-${i % 50}` },
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer();
      counts.byStatus[res.status] = (counts.byStatus[res.status] ?? 0) + 1;
      refused = 0;
    } catch {
      counts.byStatus.failed = (counts.byStatus.failed ?? 0) + 1;
      if (++refused >= 10) return { ...counts, sent: i + 1, edgeGone: true };
    }
    counts.sent = i + 1;
    const wait = 1000 / rps - (Date.now() - started);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  return { ...counts, edgeGone: false };
}

/** `blastwall local traffic`: steady GET traffic through the local edge's router, so a local canary has samples. */
export default defineCommand({
  name: "local traffic",
  group: "Local edge",
  summary: "Send steady GET traffic through the local edge, so a local canary has requests to judge",
  description:
    "Requests each --path in turn (default: the root path) at --rps, with 50 sticky version keys, until --duration passes, Ctrl-C, or the edge stops. Run it in the background while `blastwall release --target local` ramps.",
  options: {
    ...PROJECT_OPTION,
    path: { type: "string", multiple: true, description: "path to GET (repeatable; default /)", valueName: "<path>" },
    rps: { type: "string", description: "requests per second (default 20)", valueName: "<n>" },
    duration: { type: "string", description: "how long, e.g. 90s or 5m (default 2m)", valueName: "<duration>" },
  },
  json: true,
  examples: [
    "blastwall local traffic --duration 2m &",
    "blastwall local traffic --path /healthz --path /items --rps 50",
  ],
  run: async ({ options, cwd, out, signal }) => {
    const projectDir = findProjectDir(cwd, options.project);
    const base = createLocalPlatform({ projectDir }).routerUrl();
    const paths = options.path;
    const rps = positive(options.rps, "rps", 20);
    const seconds = durationSeconds(options.duration ?? "2m");
    const step = out.step(`traffic to ${base} at ${rps}/s for ${seconds}s`);
    const result = await drive(base, {
      paths: paths.length ? paths : ["/"],
      rps,
      until: Date.now() + seconds * 1000,
      signal,
    });
    const summary = `${result.sent} requests ${JSON.stringify(result.byStatus)}${result.edgeGone ? "; the edge stopped" : ""}`;
    step.ok(summary);
    if (options.json) out.data(result);
    return 0;
  },
});
