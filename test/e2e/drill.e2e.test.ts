import { execFile } from "node:child_process";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DrillReport } from "../../src/drill/index.js";
import { loadProject } from "../../src/project/discover.js";
import { buildRunbook } from "../../src/runbook/index.js";
import { copyShop, REPO } from "./helpers.js";

const BIN = join(REPO, "bin", "blastwall.js");

/** `blastwall drill <scenario> --json` in the given project, as a user runs it (the drill can take a minute). */
function drill(projectDir: string, scenario: string): Promise<{ code: number; report?: DrillReport; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [BIN, "drill", scenario, "--json"],
      { cwd: projectDir, env: { ...process.env, CI: "true", NO_COLOR: "1" }, timeout: 280_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        let report: DrillReport | undefined;
        try {
          report = JSON.parse(stdout) as DrillReport;
        } catch {
          report = undefined;
        }
        done({ code, ...(report ? { report } : {}), stderr: `${stderr}\n${stdout}` });
      },
    );
  });
}

/** The `--before` value names whichever migration went bad, so it is compared as a stand-in value. */
const shape = (argv: readonly string[]) =>
  argv.map((a, i) => (argv[i - 1] === "--before" ? "<migration>" : a)).join(" ");

describe("blastwall drill on examples/shop", () => {
  let dir: string;
  const reports = new Map<string, DrillReport>();

  beforeAll(() => {
    if (!existsSync(join(REPO, "dist", "cli", "bin.js")))
      throw new Error("run `npm run build` first: e2e tests drive dist/");
    dir = copyShop("drill");
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  for (const scenario of ["bad-version", "poison-flood", "bad-migration", "do-migration"]) {
    it(`${scenario}: the runbook restores service, with a time to recovery`, { timeout: 300_000 }, async () => {
      const r = await drill(dir, scenario);
      expect(r.report, r.stderr).toBeDefined();
      const report = r.report as DrillReport;
      reports.set(scenario, report);
      const failed = report.steps.filter((s) => !s.ok);
      expect(failed, JSON.stringify(failed, null, 2)).toEqual([]);
      expect(r.code).toBe(0);
      expect(report.restored).toBe(true);
      // The fault was real before the runbook ran, and the checks after it are real requests that passed.
      expect(report.broken.length).toBeGreaterThan(0);
      expect(report.broken.every((c) => c.ok)).toBe(true);
      expect(report.checks.every((c) => c.ok)).toBe(true);
      expect(report.ttrMs).toBeGreaterThan(0);
      expect(report.ttrMs).toBeLessThan(report.totalMs);
      const runbookSteps = report.steps.filter((s) => s.kind === "runbook");
      expect(runbookSteps.map((s) => s.argv)).toEqual(report.commands);
      for (const argv of report.commands) expect(argv.slice(-2)).toEqual(["--target", "local"]);
      console.log(`drill ${scenario}: TTR ${report.ttrMs} ms, drill ${report.totalMs} ms`);
    });
  }

  it("the drills together run every command of the generated runbook", () => {
    expect([...reports.keys()].sort()).toEqual(["bad-migration", "bad-version", "do-migration", "poison-flood"]);
    const runbook = buildRunbook(loadProject(join(REPO, "examples", "shop")), { target: "local" });
    const wanted = new Set(runbook.incidents.flatMap((i) => i.steps.flatMap((s) => (s.argv ? [shape(s.argv)] : []))));
    const ran = new Set([...reports.values()].flatMap((r) => r.commands.map(shape)));
    expect(wanted.size).toBeGreaterThan(8);
    expect([...wanted].filter((c) => !ran.has(c))).toEqual([]);
  });

  it("leaves no sandbox behind", () => {
    expect(readdirSync(dirname(dir)).filter((f) => f.startsWith(".blastwall-drill-"))).toEqual([]);
  });
});
