import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Deployment } from "../../src/platform/platform.js";
import type { ReleaseReport } from "../../src/release/run.js";
import { REPO, type ShopEdge } from "./helpers.js";

/** What the release e2e tests share: a fast test config, a traffic generator, and the `release` process. */

const BIN = join(REPO, "bin", "blastwall.js");
const VERSION_HEADER = "x-blastwall-version";

/**
 * Replaces the shop's blastwall.config.ts with a test config: the same smoke checks, a short ramp (0 → 50 → 100),
 * 1 s polls and short minimum durations, so a release takes seconds. The analysis settings are the shop's.
 * `sloLatencyMs` sets the absolute p95 SLO; `compareLatency: false` leaves the canary-vs-stable latency tests out
 * (errors, the SLO ceilings, DLQ and DO signals are still judged).
 */
export function writeFastConfig(
  dir: string,
  { minDuration = "10s", minSamples = 100, sloLatencyMs = 1000, compareLatency = true } = {},
): void {
  rmSync(join(dir, "blastwall.config.ts"), { force: true });
  const config = {
    defaults: {
      analysis: {
        alpha: 0.01,
        toleratedIncrease: 0.1,
        latencyQuantiles: compareLatency ? ["p50", "p90", "p99"] : false,
        minSamples: 50,
      },
      noData: { deadline: "30s", action: "rollback" },
      soak: "0s",
      pollInterval: "1s",
    },
    workers: {
      "shop-api": {
        smoke: [
          { path: "/healthz", bodyMatch: '"ok":true', maxLatencyMs: 1000 },
          { name: "list orders", path: "/orders?user=smoke-test", bodyMatch: '"orders"' },
          { name: "get cart", path: "/carts/smoke-test", bodyMatch: '"lines"' },
        ],
        steps: [{ percent: 50, minDuration, minSamples }, 100],
        analysis: { slo: { errorRate: 0.02, latencyMs: sloLatencyMs, latencyQuantile: 0.95 } },
        watch: { queues: ["order-events-dlq"], durableObjects: ["Cart"] },
      },
    },
  };
  writeFileSync(join(dir, "blastwall.config.json"), `${JSON.stringify(config, null, 2)}\n`);
}

export interface Traffic {
  /** Responses seen so far: the version that served each (router header) and its status. */
  seen: { version: string; status: number }[];
  stop: () => Promise<void>;
}

/**
 * Open-loop traffic, as real users send it: requests start at a fixed rate whatever the versions' latency. (A
 * closed loop of N clients would send a slow canary fewer requests, which the sample-ratio test rightly flags.)
 */
export function generateTraffic(shop: ShopEdge, { rate = 300, maxInFlight = 400 } = {}): Traffic {
  const seen: { version: string; status: number }[] = [];
  const paths = ["/healthz", "/orders?user=load-1", "/carts/load-1", "/healthz"];
  const inFlight = new Set<Promise<void>>();
  let i = 0;
  const one = async (path: string) => {
    try {
      const res = await fetch(shop.url(path));
      await res.arrayBuffer();
      seen.push({ version: res.headers.get(VERSION_HEADER) ?? "", status: res.status });
    } catch {
      // The edge restarting a runtime: the next tick sends more.
    }
  };
  const tickMs = 10;
  const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
  const timer = setInterval(() => {
    for (let k = 0; k < perTick && inFlight.size < maxInFlight; k++) {
      const p = one(paths[i++ % paths.length] ?? "/healthz");
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
  }, tickMs);
  return {
    seen,
    stop: async () => {
      clearInterval(timer);
      await Promise.all([...inFlight]);
    },
  };
}

export interface ReleaseRun {
  child: ChildProcess;
  done: Promise<{ code: number; stdout: string; stderr: string }>;
}

/** Starts `blastwall release` in the project, plain output (CI), as its own process so a test can SIGKILL it. */
export function startRelease(dir: string, args: string[]): ReleaseRun {
  const child = spawn(process.execPath, [BIN, "release", ...args], {
    cwd: dir,
    env: { ...process.env, CI: "true", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => {
    stdout += String(d);
  });
  child.stderr?.on("data", (d) => {
    stderr += String(d);
  });
  const done = new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 137 : 1), stdout, stderr }));
  });
  return { child, done };
}

/** Runs `blastwall release --json` to the end; returns the exit code, the report and everything printed. */
export async function release(
  dir: string,
  args: string[],
): Promise<{ code: number; report: ReleaseReport; stderr: string }> {
  const r = await startRelease(dir, [...args, "--json"]).done;
  let report: ReleaseReport;
  try {
    report = JSON.parse(r.stdout) as ReleaseReport;
  } catch {
    throw new Error(`release ${args.join(" ")} exited ${r.code} without a report:\n${r.stderr}\n${r.stdout}`);
  }
  return { code: r.code, report, stderr: r.stderr };
}

/** The versions of a deployment that serve traffic, as "id@percent". */
export function servedBy(d: Deployment | undefined): string[] {
  return (d?.versions ?? []).filter((v) => v.percentage > 0).map((v) => `${v.versionId}@${v.percentage}`);
}

export function readHtml(report: ReleaseReport): string {
  if (!report.htmlReport) throw new Error(`release ${report.release} wrote no HTML report`);
  return readFileSync(report.htmlReport, "utf8");
}
