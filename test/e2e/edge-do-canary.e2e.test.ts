import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalPlatform, type LocalPlatform } from "../../src/platform/local/client.js";
import { isWorkerd } from "../../src/platform/local/daemon.js";
import { cli, killTree, REPO, readEdgeInfo } from "./helpers.js";
import { release } from "./release-kit.js";

const OBJECTS = 200;

/**
 * A canary whose only bug is in Durable Object code, released at 10% through `blastwall release` on the local edge:
 * the page degrades gracefully (always 200), so only the Durable Object signal, attributed to the version that ran
 * the object, can catch it. It is rolled back, and the objects it served keep their storage.
 */
describe("release: a Durable Object bug in the canary is rolled back on the signal attributed to it", () => {
  const dir = join(REPO, ".blastwall", `e2e-do-canary-${process.pid}`);
  let platform: LocalPlatform;
  let running = true;
  let loops: Promise<void>[] = [];

  beforeAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    cpSync(join(import.meta.dirname, "fixtures-edge", "probe"), dir, { recursive: true });
    const config = {
      defaults: { pollInterval: "1s", soak: "0s", noData: { deadline: "60s", action: "rollback" } },
      workers: {
        probe: {
          steps: [{ percent: 10, minDuration: "6s", minSamples: 50 }, 100],
          watch: { durableObjects: ["Counter"] },
        },
      },
    };
    writeFileSync(join(dir, "blastwall.config.json"), `${JSON.stringify(config, null, 2)}\n`);
    const up = await cli(dir, ["local", "up", "--port", "0"]);
    if (up.code !== 0) throw new Error(`local up failed:\n${up.stderr}`);
    platform = createLocalPlatform({ projectDir: dir });
  });

  afterAll(async () => {
    running = false;
    await Promise.all(loops);
    const info = readEdgeInfo(dir);
    await cli(dir, ["local", "down"]);
    if (info) killTree(info.pid);
    for (const pid of info?.runtimePids ?? []) if (isWorkerd(pid)) killTree(pid);
    rmSync(dir, { recursive: true, force: true });
  });

  it("rolls back, names the Durable Object signal and the canary, and keeps every object's storage", async () => {
    const first = await release(dir, ["--worker", "probe", "--var", "VERSION=v1"]);
    expect(first.report.outcome, first.stderr).toBe("promoted");
    const stable = first.report.candidate ?? "";
    // Every object written once on the stable version.
    const router = platform.routerUrl();
    for (let i = 0; i < OBJECTS; i++) expect((await fetch(`${router}/obj/o-${i}`)).status).toBe(200);
    const writes = new Map<string, number>();
    const loop = async (k: number) => {
      for (let i = k; running; i += 4) {
        const name = `o-${i % OBJECTS}`;
        try {
          const body = (await (await fetch(`${router}/obj/${name}`)).json()) as { n?: number };
          if (body.n !== undefined) writes.set(name, Math.max(writes.get(name) ?? 0, body.n));
        } catch {
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    loops = [0, 1, 2, 3].map(loop);
    const { code, report, stderr } = await release(dir, [
      "--worker",
      "probe",
      "--var",
      "VERSION=v2",
      "--var",
      "BUG=do",
    ]);
    running = false;
    await Promise.all(loops);
    expect(report.outcome, `${report.reason}\n${stderr}`).toBe("rolled-back");
    expect(code).toBe(1);
    const canary = report.candidate ?? "";
    expect(report.reason).toMatch(/DO Counter: canary [1-9]\d* vs stable 0/);
    expect(`${report.reason}\n${stderr}`).toContain(canary.slice(0, 8));
    expect((await platform.currentDeployment("probe"))?.versions).toEqual([{ versionId: stable, percentage: 100 }]);
    // Storage intact: each object's count goes on from the highest it ever answered.
    for (let i = 0; i < OBJECTS; i++) {
      const name = `o-${i}`;
      const body = (await (await fetch(`${router}/obj/${name}`)).json()) as { n: number; version: string };
      expect(body.version).toBe("v1");
      // A write whose answer was lost to a restart still counts: never fewer than the answers seen.
      expect(body.n, name).toBeGreaterThanOrEqual((writes.get(name) ?? 1) + 1);
    }
  });
});
