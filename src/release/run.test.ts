import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { HEALTHY, Killed, MemoryPlatform } from "../../test/release/memory-platform.js";
import { createOutput } from "../core/console.js";
import type { AnalysisRecord } from "../platform/platform.js";
import { type BlastwallConfig, resolveWorkerConfig } from "../project/blastwall-config.js";
import { loadWranglerConfig } from "../project/wrangler-config.js";
import { releaseReportRenderer } from "../ui/release-report.js";
import { reachedGoal } from "./report.js";
import { type ReleaseReport, runRelease } from "./run.js";
import { formatMark, formatVersionMessage, parseMark } from "./state.js";

const START = new Date("2026-11-26T12:00:00Z");
const V1_BUNDLE = "1111aaaa1111aaaa1111aaaa";
/** A contract step shipped as expand/contract intends: the drop says why it is safe, so `blastwall check` passes it. */
const CONTRACT_MIGRATION =
  "-- blastwall-ignore d1/drop-column: v41 stopped reading orders.legacy\nALTER TABLE orders DROP COLUMN legacy;";

function project(extraMigrations: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "bw-release-"));
  mkdirSync(join(dir, "migrations"));
  writeFileSync(
    join(dir, "wrangler.jsonc"),
    JSON.stringify({
      name: "api",
      main: "src/index.ts",
      compatibility_date: "2026-04-01",
      d1_databases: [{ binding: "DB", database_name: "shop", migrations_dir: "migrations" }],
    }),
  );
  writeFileSync(join(dir, "migrations", "0001_init.sql"), "CREATE TABLE orders (id TEXT PRIMARY KEY, legacy TEXT);");
  for (const [name, sql] of Object.entries(extraMigrations)) writeFileSync(join(dir, "migrations", name), sql);
  return dir;
}

const CONFIG: BlastwallConfig = {
  workers: {
    api: {
      smoke: [{ path: "/healthz", bodyMatch: '"ok":true' }, { path: "/orders" }],
      steps: [
        { percent: 5, minDuration: "60s", minSamples: 200 },
        { percent: 50, minDuration: "60s", minSamples: 500 },
        100,
      ],
      pollInterval: "5s",
      noData: { deadline: "5m", action: "rollback" },
    },
  },
};

/** A platform where v1 (bundle V1_BUNDLE) has served 100% for a day and migration 0001 is applied. */
function platformWithV1(): MemoryPlatform {
  const files = ["0001_init.sql", "0002_add_note.sql", "0003_drop_legacy.sql"];
  const p = new MemoryPlatform(new Date(START.getTime() - 86_400_000), { shop: files });
  p.versions.push({
    id: "00000001-0000-4000-8000-000000000000",
    worker: "api",
    createdAt: p.now().toISOString(),
    message: formatVersionMessage("r-old", V1_BUNDLE),
  });
  p.behaviour.set("00000001-0000-4000-8000-000000000000", HEALTHY);
  p.deployments.unshift({
    id: "d0",
    worker: "api",
    createdAt: p.now().toISOString(),
    kind: "deployment",
    versions: [{ versionId: "00000001-0000-4000-8000-000000000000", percentage: 100 }],
    message: formatMark({ release: "r-old", phase: "promoted", candidate: "00000001" }),
  });
  p.applied.add("0001_init.sql");
  p.clock = START.getTime();
  return p;
}

async function release(
  dir: string,
  platform: MemoryPlatform,
  { bundle = "2222bbbb2222bbbb2222bbbb", override, signal, config = CONFIG, vars } = {} as {
    bundle?: string;
    override?: string;
    vars?: Record<string, string>;
    signal?: AbortSignal;
    config?: BlastwallConfig;
  },
): Promise<{ report: ReleaseReport; text: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let text = "";
  stdout.on("data", (d) => {
    text += String(d);
  });
  stderr.on("data", (d) => {
    text += String(d);
  });
  const out = createOutput({ stdout, stderr, env: { CI: "true" } });
  const wrangler = loadWranglerConfig(join(dir, "wrangler.jsonc"));
  const report = await runRelease(
    {
      projectDir: dir,
      wrangler,
      config: resolveWorkerConfig(config, "api", wrangler),
      ...(override !== undefined ? { override } : {}),
      ...(vars ? { vars } : {}),
    },
    {
      platform,
      out,
      now: platform.now,
      sleep: platform.sleep,
      fetch: platform.fetch,
      dryRunGate: async () => ({ bundleHash: bundle, bytes: 2048 }),
      renderReport: releaseReportRenderer(platform),
      ...(signal ? { signal } : {}),
    },
  );
  return { report, text };
}

const candidateOf = (p: MemoryPlatform) => p.versions[p.versions.length - 1]?.id ?? "";

describe("runRelease", () => {
  it("promotes a good v2 through 0% → 5% → 50% → 100% and writes the report", async () => {
    const dir = project({ "0002_add_note.sql": "ALTER TABLE orders ADD COLUMN note TEXT;" });
    const p = platformWithV1();
    const { report, text } = await release(dir, p);
    expect(report.outcome).toBe("promoted");
    expect(reachedGoal(report.outcome)).toBe(true);
    const cand = candidateOf(p);
    expect(p.deployments.slice(0, 4).map((d) => d.versions.find((v) => v.versionId === cand)?.percentage)).toEqual([
      100, 50, 5, 0,
    ]);
    // The expand migration ran before the upload, after a restore point.
    expect(p.calls.slice(0, 3)).toEqual(["restore point", "apply 0002_add_note.sql", "upload"]);
    expect(report.migrations).toEqual([
      { database: "shop", name: "0002_add_note.sql", class: "expand", restorePoint: "bm-1", when: "before-code" },
    ]);
    expect(report.smoke.map((s) => s.ok)).toEqual([true, true]);
    expect(report.steps.map((s) => s.decision.split(":")[0])).toEqual(["advance", "advance"]);
    expect(text).toMatch(/✓ ramp 5% \(stable 95%\): 5%: \d+\/60 s, \d+\/\d+ canary requests; canary 5xx/);
    const saved = JSON.parse(readFileSync(join(dir, ".blastwall", "releases", `${report.release}.json`), "utf8"));
    expect(saved.outcome).toBe("promoted");
    // At promotion: the effect bound on the CLI, in the JSON and in the HTML report, with the sample-ratio status.
    expect(text).toMatch(/canary error ratio ≤ [\d.]+× with 99% confidence \(confidence sequence, \d+ errors\)/);
    expect(saved.analysis.effectBound).toMatch(/^canary error ratio ≤ [\d.]+× with 99% confidence/);
    expect(saved.analysis.srmStatus).toBe("ok");
    expect(text).toMatch(/sample ratio: .* \(ok\)/);
    const html = readFileSync(join(dir, ".blastwall", "releases", `${report.release}.html`), "utf8");
    expect(html).toContain("effect bound");
    expect(html).toContain("sample ratio (SRM)");
    expect(parseMark(p.deployments[0]?.message)).toMatchObject({ release: report.release, phase: "promoted" });
  });

  it("rolls back a v2 that returns 5xx on 5% of requests, and says why with the numbers", async () => {
    const dir = project();
    const p = platformWithV1();
    p.nextBehaviour = { ...HEALTHY, errorRate: 0.05 };
    const { report, text } = await release(dir, p);
    expect(report.outcome).toBe("rolled-back");
    expect(report.analysis?.strata[0]?.name).toBe("*");
    // The CLI shows the sample-ratio status and each stratum that drove the decision, as the reports do.
    expect(text).toMatch(/sample ratio: canary [\d.]+% of \d+ requests vs the configured split, e=\S+ < \d+ \(ok\)/);
    expect(text).toMatch(/stratum \*: canary \d+(\.\d)?% \(\d+\/\d+\) vs stable .*, log e \d/);
    expect(report.reason).toMatch(
      /^canary 5xx \d+(\.\d)?% \(\d+\/\d+\) vs stable \d+(\.\d)?% \(\d+\/\d+\), e=\S+ ≥ \d+.*rolling back$/,
    );
    expect(p.deployments[0]?.kind).toBe("rollback");
    expect(p.deployments[0]?.versions).toEqual([
      { versionId: "00000001-0000-4000-8000-000000000000", percentage: 100 },
    ]);
  });

  it("hands every analysis poll to Platform.recordAnalysis and writes a self-contained HTML report", async () => {
    const dir = project();
    const p = platformWithV1();
    p.nextBehaviour = { ...HEALTHY, errorRate: 0.05 };
    const recorded: AnalysisRecord[] = [];
    const recording = Object.assign(p, {
      recordAnalysis: async (r: AnalysisRecord) => {
        recorded.push(r);
      },
    });
    const { report } = await release(dir, recording);
    expect(report.outcome).toBe("rolled-back");
    expect(recorded.length).toBeGreaterThan(0);
    const last = recorded[recorded.length - 1];
    expect(last).toMatchObject({ worker: "api", verdict: "rollback" });
    expect(last?.e ?? 0).toBeGreaterThanOrEqual(last?.threshold ?? Number.POSITIVE_INFINITY);
    expect(last?.message).toContain(report.reason);
    expect(recorded.slice(0, -1).every((r) => r.verdict === "hold")).toBe(true);
    expect(report.htmlReport).toBe(join(dir, ".blastwall", "releases", `${report.release}.html`));
    const html = readFileSync(report.htmlReport ?? "", "utf8");
    expect(html).not.toMatch(/\s(src|href)=["']?https?:/i);
    expect(html).toContain("rolling back");
    expect(html).toContain('"name":"blast window"');
  });

  it("rolls back a v2 that is 200 ms slower at p95", async () => {
    const dir = project();
    const p = platformWithV1();
    p.nextBehaviour = { ...HEALTHY, extraMs: 200 };
    const { report } = await release(dir, p);
    expect(report.outcome).toBe("rolled-back");
    expect(report.reason).toMatch(
      /latency \(\+5% tolerated\) p50: canary > [\d.]+ ms 100% vs stable > [\d.]+ ms \d+%.* rolling back/,
    );
  });

  it("never sends traffic to a candidate that fails a smoke check", async () => {
    const dir = project();
    const p = platformWithV1();
    p.nextBehaviour = { ...HEALTHY, smokeStatus: 500 };
    const { report } = await release(dir, p);
    expect(report.outcome).toBe("rolled-back");
    expect(report.reason).toContain("smoke check failed: GET /healthz: status 500, expected 200");
    const cand = candidateOf(p);
    const shares = p.deployments.flatMap((d) =>
      d.versions.filter((v) => v.versionId === cand).map((v) => v.percentage),
    );
    expect(shares).toEqual([0]);
  });

  it("refuses a contract migration with a code change, prints the split and touches nothing", async () => {
    const dir = project({ "0002_drop_legacy.sql": CONTRACT_MIGRATION });
    const p = platformWithV1();
    p.migrations.shop = ["0001_init.sql", "0002_drop_legacy.sql"];
    const { report, text } = await release(dir, p);
    expect(report.outcome).toBe("refused");
    expect(text).toContain("refused: this release carries an irreversible data change");
    expect(text).toContain("split it into two releases:");
    expect(text).toMatch(/release 1, the code: move 0002_drop_legacy\.sql out of migrations/);
    expect(p.calls).toEqual([]);
  });

  it("runs the contract migration alone once the code has soaked, after a restore point", async () => {
    const dir = project({ "0002_drop_legacy.sql": CONTRACT_MIGRATION });
    const p = platformWithV1();
    p.migrations.shop = ["0001_init.sql", "0002_drop_legacy.sql"];
    const { report } = await release(dir, p, { bundle: V1_BUNDLE });
    expect(report.outcome).toBe("migrated");
    expect(p.calls).toEqual(["restore point", "apply 0002_drop_legacy.sql"]);
  });

  it("records an override's reason in the deployment message", async () => {
    const dir = project({ "0002_drop_legacy.sql": CONTRACT_MIGRATION });
    const p = platformWithV1();
    p.migrations.shop = ["0001_init.sql", "0002_drop_legacy.sql"];
    const { report } = await release(dir, p, { override: "legacy unread since v41" });
    expect(report.outcome).toBe("promoted");
    expect(parseMark(p.deployments[0]?.message)?.override).toBe("legacy unread since v41");
    // The irreversible migration ran only after promotion.
    expect(p.calls.slice(-2)).toEqual(["restore point", "apply 0002_drop_legacy.sql"]);
  });

  it("rolls back on Ctrl-C mid-ramp", async () => {
    const dir = project();
    const p = platformWithV1();
    const controller = new AbortController();
    const sleep = p.sleep;
    p.sleep = async (ms, signal) => {
      if (p.deployments[0]?.versions.some((v) => v.percentage === 5)) controller.abort();
      return sleep(ms, signal);
    };
    const { report } = await release(dir, p, { signal: controller.signal });
    expect(report.outcome).toBe("interrupted");
    expect(p.deployments[0]?.versions).toEqual([
      { versionId: "00000001-0000-4000-8000-000000000000", percentage: 100 },
    ]);
  });

  it("pauses for a human at the progress deadline when so configured, and resumes on the next run", async () => {
    const dir = project();
    const p = platformWithV1();
    p.rps = 1;
    const config: BlastwallConfig = {
      workers: { api: { ...CONFIG.workers?.api, noData: { deadline: "2m", action: "pause" } } },
    };
    const first = await release(dir, p, { config });
    expect(first.report.outcome).toBe("paused");
    expect(first.report.reason).toMatch(/progress deadline 120 s passed with \d+\/\d+ canary requests/);
    expect(parseMark(p.deployments[0]?.message)?.phase).toBe("paused");
    p.rps = 200;
    const second = await release(dir, p, { config });
    expect(second.report.resumed).toBe(true);
    expect(second.report.release).toBe(first.report.release);
    expect(second.report.outcome).toBe("promoted");
  });

  it("treats failed metrics reads as missing data: holds, then pauses at the deadline (never rolls back by default)", async () => {
    const dir = project();
    const p = platformWithV1();
    p.metrics = async () => {
      throw new Error("analytics timed out");
    };
    const config: BlastwallConfig = { workers: { api: { ...CONFIG.workers?.api, noData: { deadline: "5m" } } } };
    const { report, text } = await release(dir, p, { config });
    expect(report.outcome).toBe("paused");
    expect(report.reason).toMatch(
      /^progress deadline 300 s passed with 0\/200 canary requests \(metrics unavailable: analytics timed out\): pausing for a human$/,
    );
    expect(text).toContain("could not read the traffic before the release (analytics timed out)");
  });

  it("records the platform's ingestion lag and sampling, and reads half-open windows in data time, never inside the lag", async () => {
    const dir = project();
    const p = platformWithV1();
    p.metricsIngestion = async () => ({ lagSeconds: 30, sampled: true });
    const windows: { since: number; until: number }[] = [];
    const metrics = p.metrics.bind(p);
    p.metrics = async (q) => {
      windows.push({ since: q.since.getTime(), until: q.until?.getTime() ?? 0 });
      // The data-time contract: a platform answers the window asked; the release never asks for unarrived rows.
      expect(q.until?.getTime()).toBeLessThanOrEqual(p.clock - 30_000);
      return metrics(q);
    };
    const { report, text } = await release(dir, p);
    expect(report.outcome).toBe("promoted");
    expect(text).toContain(
      "metrics: the analysis reads each window up to 30 s before now (ingestion lag); rows are sampled",
    );
    expect(report.analysis?.ingestion).toEqual({ lagSeconds: 30, sampled: true });
    const html = readFileSync(report.htmlReport ?? "", "utf8");
    expect(html).toContain("metrics ingestion");
    const polls = windows.filter((w) => w.until - w.since === 5000);
    let tiled = 0;
    for (let i = 1; i < polls.length; i++) {
      const [a, b] = [polls[i - 1], polls[i]];
      if (!a || !b || b.since < a.since) continue;
      expect(b.since).toBeGreaterThanOrEqual(a.until);
      if (b.since === a.until) tiled++;
    }
    expect(tiled).toBeGreaterThanOrEqual(10);
  });

  it("counts a step's minimum duration in observed seconds: a 30 s ingestion lag lengthens each step by 30 s", async () => {
    const run = async (lagSeconds: number) => {
      const p = platformWithV1();
      p.metricsIngestion = async () => ({ lagSeconds, sampled: false });
      const { report } = await release(project(), p);
      expect(report.outcome).toBe("promoted");
      return { steps: report.steps.length, wallSeconds: (p.clock - START.getTime()) / 1000 };
    };
    const immediate = await run(0);
    const lagged = await run(30);
    expect(lagged.steps).toBe(immediate.steps);
    expect(immediate.steps).toBeGreaterThan(0);
    // Each ramp step waited until 60 s of rows were readable, not 60 s of wall clock.
    expect(lagged.wallSeconds - immediate.wallSeconds).toBeGreaterThanOrEqual(30 * immediate.steps - 5);
  });

  it("never rolls back a healthy 5 rps Worker with the default config: it promotes or pauses", async () => {
    const dir = project();
    const p = platformWithV1();
    p.rps = 5;
    const config: BlastwallConfig = { workers: { api: { smoke: CONFIG.workers?.api?.smoke ?? [] } } };
    const { report, text } = await release(dir, p, { config });
    expect(["promoted", "paused"]).toContain(report.outcome);
    expect(p.deployments.some((d) => d.kind === "rollback")).toBe(false);
    // The preset first step is planned from the traffic: at 5 rps, 5 % would bring too few canary requests.
    expect(text).toContain("first step 5% → 25%");
    const firstRamp = [...p.deployments].reverse().find((d) => d.message?.includes("p=ramp"));
    expect(firstRamp?.versions.find((v) => v.versionId === candidateOf(p))?.percentage).toBe(25);
  });

  it("bakes --var values into the candidate, and counts them as a code change", async () => {
    const dir = project();
    const p = platformWithV1();
    const bad = await release(dir, p, { bundle: V1_BUNDLE, vars: { BW_ERROR_RATE: "0.1" } });
    expect(bad.report.outcome).toBe("rolled-back");
    expect(bad.report.bundle).not.toBe(V1_BUNDLE.slice(0, 16));
    const same = await release(dir, p, { bundle: V1_BUNDLE });
    expect(same.report.outcome).toBe("up-to-date");
  });

  it("deploys a Worker's first version straight to 100%", async () => {
    const dir = project();
    const p = new MemoryPlatform(START, { shop: ["0001_init.sql"] });
    const { report } = await release(dir, p);
    expect(report.outcome).toBe("promoted");
    expect(report.reason).toContain("first deployment");
    expect(p.calls).toEqual([
      "restore point",
      "apply 0001_init.sql",
      "upload",
      `deploy ${candidateOf(p).slice(0, 8)}:100`,
    ]);
  });
});

describe("killed (SIGKILL) at any point, the next run ends fully promoted or fully rolled back", () => {
  function setup(bad: boolean) {
    const dir = project({ "0002_add_note.sql": "ALTER TABLE orders ADD COLUMN note TEXT;" });
    const p = platformWithV1();
    p.nextBehaviour = bad ? { ...HEALTHY, errorRate: 0.08 } : HEALTHY;
    return { dir, p };
  }

  /** Kills the first run before its n-th platform change, then runs again on the same platform. */
  async function killedThenRerun(kill: number, bad: boolean) {
    const { dir, p } = setup(bad);
    p.failAfter = kill;
    await expect(release(dir, p)).rejects.toBeInstanceOf(Killed);
    p.dead = false;
    const rerun = await release(dir, p);
    return { p, rerun: rerun.report };
  }

  // Every platform change of an uninterrupted run is a kill point: 8 for the good v2, 7 for the bad one.
  const points = async (bad: boolean) => {
    const { dir, p } = setup(bad);
    await release(dir, p);
    return p.mutationCount;
  };

  it("good v2: every kill point ends fully promoted", async () => {
    const n = await points(false);
    expect(n).toBeGreaterThanOrEqual(7);
    for (let kill = 1; kill <= n; kill++) {
      const { p, rerun } = await killedThenRerun(kill, false);
      expect(["promoted", "up-to-date"], `kill ${kill}`).toContain(rerun.outcome);
      expect(p.deployments[0]?.versions, `kill ${kill}`).toEqual([{ versionId: candidateOf(p), percentage: 100 }]);
      expect(p.applied.has("0002_add_note.sql")).toBe(true);
      expect(p.versions).toHaveLength(2);
    }
  });

  it("bad v2: every kill point ends fully rolled back", async () => {
    const n = await points(true);
    expect(n).toBeGreaterThanOrEqual(6);
    for (let kill = 1; kill <= n; kill++) {
      const { p, rerun } = await killedThenRerun(kill, true);
      expect(rerun.outcome, `kill ${kill}`).toBe("rolled-back");
      expect(p.deployments[0]?.versions, `kill ${kill}`).toEqual([
        { versionId: "00000001-0000-4000-8000-000000000000", percentage: 100 },
      ]);
      // One candidate only: a killed run's upload is reused, not repeated.
      expect(p.versions).toHaveLength(2);
    }
  });

  it("leaves no report behind that the next run could read: state comes from the platform", async () => {
    const dir = project();
    const p = platformWithV1();
    p.failAfter = 3;
    await expect(release(dir, p)).rejects.toBeInstanceOf(Killed);
    expect(existsSync(join(dir, ".blastwall"))).toBe(false);
  });
});
