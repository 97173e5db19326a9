import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = process.cwd();

interface DemoReport {
  ok: boolean;
  steps: {
    name: string;
    outcome: string;
    seconds: number;
    finishedAt: number;
    numbers: Record<string, number | string>;
  }[];
  analysis?: { points: Record<string, number>; decisions: number };
}

describe("npm run demo", () => {
  it("tells the whole story on examples/shop and writes the reports", async () => {
    const { stdout } = await run(process.execPath, [join(root, "dist", "demo", "main.js")], {
      cwd: root,
      env: { ...process.env, CI: "true" },
      timeout: 420_000,
      maxBuffer: 64 * 1024 * 1024,
    }).catch((err: { stdout?: string; stderr?: string }) => {
      throw new Error(`demo failed:\n${err.stdout ?? ""}\n${err.stderr ?? ""}`);
    });
    expect(stdout).toContain("demo ok");
    const report = JSON.parse(readFileSync(join(root, ".blastwall", "demo-report.json"), "utf8")) as DemoReport;
    expect(report.ok).toBe(true);
    const step = (n: string) => report.steps.find((s) => s.name.startsWith(n));
    for (const n of ["1.", "2.", "3.", "4.", "5.", "6."]) expect(step(n)?.outcome).toBe("ok");
    expect(step("2.")?.numbers.exit_code).toBe(1);
    expect(step("3.")?.numbers.exit_code).toBe(1);
    expect(step("4.")?.numbers.lost).toBe(0);
    expect(step("4.")?.numbers.flood_confirmed).toBe(step("4.")?.numbers.flood);
    expect(step("4.")?.numbers.dlq_after_replay).toBe(0);
    expect(step("5.")?.numbers.writes_through).toBe(0);
    expect(step("5.")?.numbers.read_errors).toBe(0);
    // The report charts the releases' own e-value polls, and each step at the time it really ended.
    expect(report.analysis?.points["shop-api"] ?? 0).toBeGreaterThan(0);
    expect(report.analysis?.decisions ?? 0).toBeGreaterThan(0);
    const ends = report.steps.map((s) => s.finishedAt);
    expect(ends).toEqual([...ends].sort((a, b) => a - b));
    const html = readFileSync(join(root, ".blastwall", "demo-report.html"), "utf8");
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=["']?(https?:)?\/\//i);
    expect(existsSync(join(root, ".blastwall", "demo", "shop", ".blastwall", "local", "edge.json"))).toBe(false);
  }, 480_000);

  it("passes like Cloudflare too: the releases read lagged data, the bad canary rolls back, the good one promotes", async () => {
    await run(process.execPath, [join(root, "dist", "demo", "main.js")], {
      cwd: root,
      env: { ...process.env, CI: "true", BLASTWALL_LIKE_CLOUDFLARE: "1" },
      timeout: 420_000,
      maxBuffer: 64 * 1024 * 1024,
    }).catch((err: { stdout?: string; stderr?: string }) => {
      throw new Error(`demo --like-cloudflare failed:\n${err.stdout ?? ""}\n${err.stderr ?? ""}`);
    });
    const dir = join(root, ".blastwall", "demo", "shop", ".blastwall", "releases");
    const releases = readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")) as ReleaseJson)
      .filter((r) => r.worker === "shop-api" && r.steps.length > 0);
    // The bad canary rolled back and the good one promoted, both on rows read 10 s late, and each report says so.
    expect(releases.map((r) => r.outcome).sort()).toEqual(["promoted", "rolled-back"]);
    for (const r of releases)
      expect(r.analysis?.ingestion).toEqual({ lagSeconds: 10, sampled: true, sharedHost: true });
  }, 480_000);
});

interface ReleaseJson {
  worker: string;
  outcome: string;
  steps: { decision: string }[];
  analysis?: { ingestion?: { lagSeconds: number; sampled: boolean } };
}
