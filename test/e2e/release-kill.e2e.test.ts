import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFaultyVariant } from "../../src/project/fault.js";
import { seededRandom } from "../../src/release/analysis/simulate.js";
import { parseMark } from "../../src/release/state.js";
import { killTree, type ShopEdge, startShopEdge } from "./helpers.js";
import { generateTraffic, release, servedBy, startRelease, type Traffic, writeFastConfig } from "./release-kit.js";

// SIGKILL `release` at random points under traffic; running it again must always end fully promoted or fully
// rolled back, from the platform's state alone. Each round is a kill plus a full re-run (~30-40 s on 2 shared
// cores), so `npm test` runs a few rounds; BLASTWALL_E2E_KILLS=20 runs the issue's twenty (about 12 minutes):
//   BLASTWALL_E2E_KILLS=20 npx vitest run --project e2e test/e2e/release-kill.e2e.test.ts
const ROUNDS = Number(process.env.BLASTWALL_E2E_KILLS ?? 4);
const SEED = Number(process.env.BLASTWALL_E2E_SEED ?? Date.now() % 100_000);

describe(`release killed at ${ROUNDS} random points (seed ${SEED})`, () => {
  let shop: ShopEdge;
  let traffic: Traffic | undefined;
  let fullSeconds = 20;

  beforeAll(async () => {
    shop = await startShopEdge("release-kill");
    // This test is about kills, not latency, so it judges errors only. On a loaded CI host both versions once
    // breached a 1 s p95 (a shared breach pauses by design), and once a re-run's canary, idle since the killed run
    // uploaded it, answered slower than the warm stable in its first second at 50% (p50 +10%, e=863116): real
    // latency on that host, but no kill caused it. release.e2e.test.ts keeps the latency tests.
    writeFastConfig(shop.dir, { minDuration: "8s", minSamples: 200, sloLatencyMs: 10_000, compareLatency: false });
    const first = await release(shop.dir, ["--worker", "shop-api"]);
    expect(first.report.outcome, first.stderr).toBe("promoted");
    traffic = generateTraffic(shop);
    // Calibrate the kill window on one uninterrupted release.
    const t0 = Date.now();
    const calib = await release(shop.dir, ["--worker", "shop-api", "--var", "BUILD=calibrate"]);
    expect(calib.report.outcome, calib.stderr).toBe("promoted");
    fullSeconds = (Date.now() - t0) / 1000;
  });

  afterAll(async () => {
    await traffic?.stop();
    await shop?.teardown();
  });

  it(
    "ends fully promoted or fully rolled back after every kill",
    async () => {
      const random = seededRandom(SEED);
      const bad = writeFaultyVariant(join(shop.dir, "api", "wrangler.jsonc"), { errorRate: 0.05 });
      const log: string[] = [];
      try {
        for (let round = 0; round < ROUNDS; round++) {
          const before = servedBy(await shop.platform.currentDeployment("shop-api"));
          const faulty = round % 3 === 2;
          const args = faulty ? ["--config", bad.configPath] : ["--worker", "shop-api", "--var", `BUILD=kill-${round}`];
          const killAfterMs = Math.round(300 + random() * fullSeconds * 1000);
          const run = startRelease(shop.dir, args);
          const timer = setTimeout(() => {
            if (run.child.pid !== undefined) killTree(run.child.pid);
          }, killAfterMs);
          const killed = await run.done;
          clearTimeout(timer);

          const again = await release(shop.dir, args);
          const after = await shop.platform.currentDeployment("shop-api");
          const served = servedBy(after);
          const phase = parseMark(after?.message)?.phase;
          log.push(
            `round ${round}: ${faulty ? "faulty" : "good"} candidate, killed at ${killAfterMs} ms (exit ${killed.code}); re-run: ${again.report.resumed ? "resumed, " : ""}${again.report.outcome}${again.report.outcome === "paused" || (!faulty && again.report.outcome === "rolled-back") ? ` (${again.report.reason})` : ""}; serving ${served.join(" ")} (${phase ?? "no mark"})`,
          );
          // Never mixed: one version serves 100%, and no in-flight phase is left on the platform.
          expect(served, log.join("\n")).toHaveLength(1);
          expect(served[0], log.join("\n")).toMatch(/@100$/);
          expect(["smoke", "ramp", "paused"], log.join("\n")).not.toContain(phase);
          if (faulty) {
            expect(again.report.outcome, log.join("\n")).toBe("rolled-back");
            expect(served, log.join("\n")).toEqual(before);
          } else {
            expect(["promoted", "up-to-date"], `${log.join("\n")}\n${again.stderr}`).toContain(again.report.outcome);
            // Promoted now, or already promoted by the killed run (then the re-run finds it up to date).
            if (again.report.outcome === "promoted")
              expect(served, log.join("\n")).toEqual([`${again.report.candidate}@100`]);
            else expect(served, log.join("\n")).not.toEqual(before);
          }
        }
      } finally {
        bad.cleanup();
        console.log(log.join("\n"));
      }
    },
    ROUNDS * 90_000,
  );
});
