import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createOutput, type Step } from "../core/console.js";
import { createLocalPlatform } from "../platform/local/client.js";
import { writeFaultyVariant } from "../project/fault.js";
import { collectDashboardData } from "../ui/dashboard-data.js";
import { renderDashboardHtml } from "../ui/html.js";
import { type CliRun, runBlastwall } from "./cli.js";
import { startTraffic, type Traffic } from "./traffic.js";
import { nextMigrationNumber, prepareDemoWorkspace, setConsumerRetries } from "./workspace.js";

// `npm run demo`: the whole blastwall story on examples/shop against the local edge, driven through the real CLI.
const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
const outDir = join(repoRoot, ".blastwall");
const out = createOutput();
const started = performance.now();

type Numbers = Record<string, number | string>;
interface StepReport {
  name: string;
  outcome: "ok" | "failed";
  seconds: number;
  /** When the step ended, epoch seconds. */
  finishedAt: number;
  numbers: Numbers;
}
const report: {
  ok: boolean;
  steps: StepReport[];
  /** What the HTML report charts: the canary e-value polls the releases recorded, per Worker. */
  analysis?: { points: Record<string, number>; decisions: number };
} = { ok: true, steps: [] };
const nowSeconds = () => Math.floor(Date.now() / 1000);

class DemoFailure extends Error {}

function expectThat(cond: boolean, message: string): void {
  if (!cond) throw new DemoFailure(message);
}

function fmt(n: Numbers): string {
  return Object.entries(n)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
}

async function story(name: string, fn: (step: Step) => Promise<Numbers>): Promise<Numbers> {
  const step = out.step(name);
  const t0 = performance.now();
  try {
    const numbers = await fn(step);
    report.steps.push({
      name,
      outcome: "ok",
      seconds: Math.round(performance.now() - t0) / 1000,
      finishedAt: nowSeconds(),
      numbers,
    });
    step.ok(fmt(numbers));
    return numbers;
  } catch (err) {
    report.ok = false;
    report.steps.push({
      name,
      outcome: "failed",
      seconds: Math.round(performance.now() - t0) / 1000,
      finishedAt: nowSeconds(),
      numbers: { error: (err as Error).message },
    });
    step.fail((err as Error).message);
    throw err;
  }
}

interface ReleaseSummary {
  outcome: string;
  reason: string;
  migrations: unknown[];
  candidate?: string;
  /** The two releases a refusal proposes. */
  split: string[];
}

function releaseReport(run: CliRun): ReleaseSummary {
  const r = run.json as (Partial<Omit<ReleaseSummary, "split">> & { blastWindow?: { split?: string[] } }) | undefined;
  if (!r?.outcome) throw new DemoFailure(`release printed no report (exit ${run.code}): ${run.stderr.slice(-400)}`);
  return {
    outcome: r.outcome,
    reason: r.reason ?? "",
    migrations: r.migrations ?? [],
    candidate: r.candidate,
    split: r.blastWindow?.split ?? [],
  };
}

/** The numbers in a decision like "canary 5xx 4.1% (41/1000) vs stable 0.2% (18/9000), e=152 ≥ 100". */
function decisionNumbers(reason: string): Numbers {
  const n: Numbers = {};
  const m = /canary [^(]*\((\d+)\/(\d+)\) vs stable [^(]*\((\d+)\/(\d+)\)/.exec(reason);
  if (m)
    Object.assign(n, {
      canary_errors: Number(m[1]),
      canary_requests: Number(m[2]),
      stable_errors: Number(m[3]),
      stable_requests: Number(m[4]),
    });
  const e = /e=([\d.e+]+)\s*≥\s*([\d.]+)/.exec(reason);
  if (e) Object.assign(n, { e_value: Number(e[1]), threshold: Number(e[2]) });
  return n;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, step?: Step): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new DemoFailure(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    step?.update(`waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Status of one order ("pending" until shop-consumer confirms it), or undefined when it is not there. */
async function orderStatus(base: string, id: string): Promise<string | undefined> {
  const res = await fetch(`${base}/orders/${id}`);
  if (res.status !== 200) {
    await res.arrayBuffer();
    return undefined;
  }
  return ((await res.json()) as { order?: { status?: string } }).order?.status;
}

/** POSTs `count` poison orders from 10 parallel loops; returns the ids the shop accepted. */
async function sendFlood(base: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  await Promise.all(
    Array.from({ length: 10 }, async (_, w) => {
      for (let i = w; i < count; i += 10) {
        const res = await fetch(`${base}/orders`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ userId: `flood${i % 20}`, items: [{ sku: "poison", quantity: 1, priceCents: 100 }] }),
        });
        const body = (await res.json().catch(() => ({}))) as { id?: string };
        if (res.status === 201 && body.id) ids.push(body.id);
      }
    }),
  );
  return ids;
}

async function orderStats(base: string): Promise<{ total: number; byStatus: Record<string, number> }> {
  const res = await fetch(`${base}/orders/stats`);
  return (await res.json()) as { total: number; byStatus: Record<string, number> };
}

/**
 * The HTML report: the edge's series and the canary analysis every release recorded (real polls, real times), with
 * each story step as a decision at the time it ended.
 */
async function writeHtmlReport(): Promise<void> {
  try {
    const data = await collectDashboardData({
      platform,
      workers: ["shop-api", "shop-consumer"],
      queues: ["order-events", "order-events-dlq"],
      databases: [{ worker: "shop-api", database: "shop" }],
      windowSeconds: Math.ceil((performance.now() - started) / 1000) + 10,
      title: "blastwall demo: examples/shop",
    });
    const steps = report.steps.map((s) => ({
      t: s.finishedAt,
      worker: "demo",
      verdict: s.outcome,
      message: `${s.name}: ${fmt(s.numbers)}`,
    }));
    data.analysis.decisions = [...data.analysis.decisions, ...steps].sort((a, b) => a.t - b.t);
    const points: Record<string, number> = {};
    for (const p of data.analysis.points) points[p.worker ?? "?"] = (points[p.worker ?? "?"] ?? 0) + 1;
    report.analysis = { points, decisions: data.analysis.decisions.length - steps.length };
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, "demo-report.html"), renderDashboardHtml({ mode: "report", data, title: data.title }));
  } catch (err) {
    out.warn(`could not write the HTML report: ${(err as Error).message}`);
  }
}

const ws = prepareDemoWorkspace({
  source: join(repoRoot, "examples", "shop"),
  dir: join(outDir, "demo", "shop"),
});
// The demo's consumer gives up after 3 quick retries so the poison flood reaches the DLQ in seconds, not minutes.
setConsumerRetries(join(ws, "consumer", "wrangler.jsonc"), "order-events", 3, 1);
writeFileSync(
  join(ws, "blastwall.config.json"),
  JSON.stringify(
    {
      defaults: {
        analysis: { alpha: 0.01, minSamples: 40 },
        pollInterval: "1s",
        soak: "10s",
        noData: { deadline: "60s", action: "rollback" },
      },
      workers: {
        "shop-api": {
          smoke: [
            { path: "/healthz", bodyMatch: '"ok":true' },
            { name: "list orders", path: "/orders?user=smoke", bodyMatch: '"orders"' },
            { name: "get cart", path: "/carts/smoke", bodyMatch: '"lines"' },
          ],
          steps: [
            { percent: 20, minDuration: "5s", minSamples: 40 },
            // Enough canary requests that a 20% failure on /orders is decided inside the step, even on a busy machine.
            { percent: 50, minDuration: "10s", minSamples: 200 },
            100,
          ],
          watch: { queues: ["order-events-dlq"], durableObjects: ["Cart"] },
        },
        "shop-consumer": { steps: [100], watch: { queues: ["order-events-dlq"] } },
      },
    },
    null,
    2,
  ),
);

const platform = createLocalPlatform({ projectDir: ws });
let traffic: Traffic | undefined;
let base = "";
const cli = (args: string[], step?: Step) =>
  runBlastwall(args, { cwd: ws, onLine: (l) => step?.update(l.slice(0, 160)) });

try {
  await story("start the local edge with examples/shop", async () => {
    // Step 1 ships the migrations through `release`, a restore point before each.
    const up = await cli(["local", "up", "--project", ws, "--port", "0", "--skip-migrations", "--json"]);
    const info = up.json as { routerPort?: number } | undefined;
    expectThat(up.code === 0 && typeof info?.routerPort === "number", `local up failed: ${up.stderr.slice(-300)}`);
    base = `http://127.0.0.1:${info?.routerPort}`;
    return { router_port: info?.routerPort ?? 0 };
  });

  await story("1. release v1, with an expand migration and a restore point before it", async (step) => {
    const api = releaseReport(await cli(["release", "--worker", "shop-api", "--json"], step));
    expectThat(api.outcome === "promoted", `shop-api v1: ${api.outcome}: ${api.reason}`);
    const consumer = releaseReport(await cli(["release", "--worker", "shop-consumer", "--json"], step));
    expectThat(consumer.outcome === "promoted", `shop-consumer v1: ${consumer.outcome}: ${consumer.reason}`);
    const points = await platform.listRestorePoints("shop-api", "shop");
    expectThat(points.length >= api.migrations.length && api.migrations.length > 0, "no restore point per migration");
    traffic = startTraffic({ baseUrl: base, rps: 40 });
    return { migrations_applied: api.migrations.length, restore_points: points.length, versions: 2 };
  });

  await story("2. bad canary: v2 fails 20% of order requests; detected and rolled back", async (step) => {
    const bad = writeFaultyVariant(join(ws, "api", "wrangler.jsonc"), { errorRate: 0.2, only: ["/orders"] });
    try {
      const run = await cli(["release", "--config", bad.configPath, "--worker", "shop-api", "--json"], step);
      const r = releaseReport(run);
      expectThat(r.outcome === "rolled-back", `expected a rollback, got ${r.outcome}: ${r.reason}`);
      const current = await platform.currentDeployment("shop-api");
      expectThat(
        current?.versions.length === 1 && current.versions[0]?.versionId !== r.candidate,
        "the canary still serves traffic",
      );
      out.line(`    ${r.reason}`);
      return { ...decisionNumbers(r.reason), exit_code: run.code };
    } finally {
      bad.cleanup();
    }
  });

  await story("3. refused: a contract migration together with new code", async (step) => {
    const file = join(ws, "migrations", `${nextMigrationNumber(join(ws, "migrations"))}_drop_order_events_kind.sql`);
    writeFileSync(
      file,
      // A reviewed contract step: the ignore says why dropping is safe, so `check` passes; the blast-window rule
      // still refuses to ship it together with new code.
      "-- blastwall-ignore d1/drop-column: no code has read order_events.kind since v1\nALTER TABLE order_events DROP COLUMN kind;\n",
    );
    try {
      const run = await cli(["release", "--worker", "shop-api", "--var", "SHOP_RELEASE=v3", "--json"], step);
      const r = releaseReport(run);
      expectThat(r.outcome === "refused", `expected a refusal, got ${r.outcome}: ${r.reason}`);
      out.line(`    ${r.reason}`);
      for (const line of r.split) out.line(`    split: ${line}`);
      expectThat(r.split.length === 2, "the refusal printed no two-release split");
      return { contract_migrations: 1, code_changed: 1, exit_code: run.code };
    } finally {
      rmSync(file, { force: true });
    }
  });

  await story(
    "4. poison flood: a consumer bug sends a flood to the DLQ; pause, fix, replay, nothing lost",
    async (step) => {
      const bug = writeFaultyVariant(join(ws, "consumer", "wrangler.jsonc"), { failQueue: true });
      try {
        const v = await platform.uploadVersion({
          worker: "shop-consumer",
          configPath: bug.configPath,
          tag: "consumer-bug",
        });
        await platform.deploy("shop-consumer", [{ versionId: v.id, percentage: 100 }], {
          message: "demo: a consumer bug ships",
        });
      } finally {
        bug.cleanup();
      }
      const flood = 150;
      const floodIds = await sendFlood(base, flood);
      expectThat(floodIds.length === flood, `only ${floodIds.length} of ${flood} flood orders were accepted`);
      const dlqPeak = await until(
        "the flood to reach the DLQ",
        90_000,
        async () => {
          const q = await platform.queueState("order-events");
          step.update(`DLQ depth ${q.dlqDepth ?? 0}, backlog ${q.backlog ?? 0}`);
          return (q.dlqDepth ?? 0) >= flood ? (q.dlqDepth ?? 0) : undefined;
        },
        undefined,
      );
      for (const args of [
        ["queues", "pause", "order-events"],
        ["release", "--worker", "shop-consumer", "--json"],
        ["queues", "resume", "order-events"],
        ["queues", "dlq", "replay", "order-events"],
      ]) {
        const r = await cli(args, step);
        expectThat(r.code === 0, `blastwall ${args.join(" ")} failed (exit ${r.code}): ${r.stderr.slice(-300)}`);
      }
      // The generator keeps creating orders, so "no order pending" may never hold: wait for the flood's own orders.
      const waiting = new Set(floodIds);
      await until(`the ${flood} flood orders to be confirmed`, 120_000, async () => {
        for (const id of [...waiting]) if ((await orderStatus(base, id)) === "confirmed") waiting.delete(id);
        step.update(`flood orders confirmed ${flood - waiting.size}/${flood}`);
        return waiting.size === 0 ? true : undefined;
      });
      const settled = await orderStats(base);
      const q = await platform.queueState("order-events");
      return {
        flood,
        dlq_peak: dlqPeak,
        dlq_after_replay: q.dlqDepth ?? 0,
        flood_confirmed: flood - waiting.size,
        lost: waiting.size,
        orders_total: settled.total,
      };
    },
  );

  await story("5. kill switch: disable_writes blocks writes at once; reads and health stay up", async (step) => {
    traffic?.reset();
    const flip = await cli(["flags", "set", "disable_writes", "on", "--actor", "demo"], step);
    expectThat(flip.code === 0, `flags set failed: ${flip.stderr.slice(-300)}`);
    const t0 = performance.now();
    await until("writes to be blocked", 10_000, async () => {
      const res = await fetch(`${base}/orders`, {
        method: "POST",
        body: "{}",
        headers: { "content-type": "application/json" },
      });
      await res.arrayBuffer();
      return res.status === 503 ? true : undefined;
    });
    const blockMs = Math.round(performance.now() - t0);
    traffic?.reset();
    await new Promise((r) => setTimeout(r, 3000));
    const during = traffic?.reset();
    const health = await fetch(`${base}/healthz`);
    await health.arrayBuffer();
    const off = await cli(["flags", "set", "disable_writes", "off", "--actor", "demo"], step);
    expectThat(off.code === 0, "flags set off failed");
    await until("writes to flow again", 10_000, async () => {
      const res = await fetch(`${base}/orders`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ userId: "after", items: [{ sku: "tea", quantity: 1, priceCents: 1 }] }),
      });
      await res.arrayBuffer();
      return res.status === 201 ? true : undefined;
    });
    expectThat((during?.writes.ok ?? 1) === 0, `${during?.writes.ok} writes got through the kill switch`);
    expectThat(
      (during?.reads.errors ?? 1) === 0 && health.status === 200,
      "reads or health failed while writes were off",
    );
    return {
      time_to_block_ms: blockMs,
      writes_blocked: during?.writes.blocked ?? 0,
      writes_through: during?.writes.ok ?? 0,
      reads_ok: during?.reads.ok ?? 0,
      read_errors: during?.reads.errors ?? 0,
      health_status: health.status,
    };
  });

  await story("6. good v3 is promoted to 100%", async (step) => {
    const run = await cli(["release", "--worker", "shop-api", "--var", "SHOP_RELEASE=v3", "--json"], step);
    const r = releaseReport(run);
    expectThat(r.outcome === "promoted", `v3: ${r.outcome}: ${r.reason}`);
    const current = await platform.currentDeployment("shop-api");
    expectThat(
      current?.versions[0]?.percentage === 100 && current.versions[0].versionId === r.candidate,
      "v3 is not at 100%",
    );
    return { ...decisionNumbers(r.reason), percentage: 100 };
  });
} catch (err) {
  report.ok = false;
  if (!(err instanceof DemoFailure)) out.error(`demo error: ${(err as Error).stack ?? String(err)}`);
} finally {
  const stats = await traffic?.stop();
  await writeHtmlReport();
  await cli(["local", "down", "--project", ws]);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "demo-report.json"), `${JSON.stringify(report, null, 2)}\n`);
  const total = Math.round((performance.now() - started) / 100) / 10;
  out.line("");
  out.line(out.bold(report.ok ? `demo ok in ${total}s` : `demo FAILED after ${total}s`));
  for (const s of report.steps) out.line(`  ${s.outcome === "ok" ? "✓" : "✗"} ${s.name} (${s.seconds}s)`);
  if (stats) out.line(`  traffic: ${stats.sent} requests, ${JSON.stringify(stats.byStatus)}`);
  out.line("  reports: .blastwall/demo-report.json, .blastwall/demo-report.html");
  out.close();
}
process.exitCode = report.ok ? 0 : 1;
