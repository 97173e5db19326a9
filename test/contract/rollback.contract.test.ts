import { rmSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { UsageError } from "../../src/core/errors.js";
import { versionAtLeast } from "../../src/core/migration-order.js";
import { DO_CODE_UPDATE_MODE_SINCE } from "../../src/platform/cloudflare/durable-objects-update.js";
import { PreflightError } from "../../src/platform/cloudflare/preflight/index.js";
import { wranglerVersionOfBin } from "../../src/project/wrangler-version.js";
import { type ContractServer, type RecordedRequest, startCloudflareApiServer } from "./cloudflare-api-server.js";
import {
  ADMIN,
  type FakeClock,
  fakeClock,
  harnessPlatform,
  outputViolations,
  tempProject,
  WRANGLER_BIN,
} from "./harness.js";

/**
 * Rollback that nothing can block, on the fake: the real wrangler and the platform against a 403 on every read-only
 * pre-flight call, a 5-minute 429 storm (on a fake clock), a hung socket, 5xx answers, a split still in force (the
 * release engine's automatic abort) and changed secrets overridden with --force and a reason.
 */

let api: ContractServer;
let project: string;
let clock: FakeClock = fakeClock();
let warnings: string[];

const fromBlastwall = (r: RecordedRequest) => !(r.headers["user-agent"] ?? "").startsWith("wrangler");

/** shop-api with v1 (bound to KV, R2, D1 and a queue) that served 100%, then v2 serving 100% now. */
function seedHistory(): { v1: string; v2: string } {
  api.state.scripts.delete("shop-api");
  api.addScript("shop-api", { migrationTag: "v1" });
  const v1 = api.seedVersion("shop-api", { "workers/triggered_by": "upload" }, [
    { type: "kv_namespace", name: "CONFIG", namespace_id: "kv-config" },
    { type: "r2_bucket", name: "RECEIPTS", bucket_name: "receipts", jurisdiction: "eu" },
    { type: "d1", name: "DB", database_id: "5f0c3f2e-7a5b-4f4e-9a52-0b2c7d4c1a11" },
    { type: "queue", name: "EVENTS", queue_name: "order-events" },
  ]).id;
  api.seedDeployment("shop-api", [{ version_id: v1, percentage: 100 }]);
  const v2 = api.seedVersion("shop-api", { "workers/triggered_by": "upload" }, []).id;
  api.seedDeployment("shop-api", [{ version_id: v2, percentage: 100 }]);
  return { v1, v2 };
}

function platform() {
  return harnessPlatform({ api, projectDir: project, clock, warnings });
}

async function servingNow(): Promise<{ version_id: string; percentage: number }[] | undefined> {
  return api.state.scripts.get("shop-api")?.deployments.at(-1)?.versions;
}

beforeAll(async () => {
  project = tempProject();
  api = await startCloudflareApiServer({ opsAdminToken: ADMIN, clock: { now: () => clock.now() } });
  api.addQueue("order-events");
  api.state.kvNamespaces.add("kv-config");
  api.state.r2Buckets.add("eu:receipts");
  api.addD1("shop", "5f0c3f2e-7a5b-4f4e-9a52-0b2c7d4c1a11");
});

beforeEach(() => {
  clock = fakeClock();
  warnings = [];
  api.state.failures = [];
  api.state.hang = undefined;
  api.state.rateLimitedUntil = 0;
  api.state.tokenPermissions = undefined;
});

afterAll(async () => {
  await api?.close();
  rmSync(project, { recursive: true, force: true });
});

describe("rollback that nothing can block (real wrangler → loopback API)", { timeout: 120_000 }, () => {
  it("goes on past a 403 on every read-only pre-flight call, warning about each", async () => {
    const { v1 } = seedHistory();
    // The documented scopes (Workers Scripts, D1, Queues edit) include no KV or R2 read; here nothing reads at all.
    const all = ["Workers Scripts Read", "Workers Scripts Write", "D1 Write", "Queues Write", "Account Analytics Read"];
    api.state.tokenPermissions = new Set(all);
    api.state.failures.push({
      match: (r) => fromBlastwall(r) && r.method === "GET" && /\/versions(\/|$)/.test(r.path),
      status: 403,
      times: 1_000,
    });
    const d = await platform().rollback("shop-api", { message: "5xx spike" });
    expect(d.versions).toEqual([{ versionId: v1, percentage: 100 }]);
    expect(await servingNow()).toEqual([{ version_id: v1, percentage: 100 }]);
    expect(warnings.join("\n")).toMatch(/pre-flight (secrets-changed|bindings-deleted) skipped/);
  });

  it("outlasts a 5-minute 429 storm, honouring Retry-After, without sleeping for real", async () => {
    const { v1 } = seedHistory();
    api.state.rateLimitedUntil = clock.now() + 5 * 60_000;
    // Wrangler meets one more 429 of its own after the storm: the platform runs it again after the wait.
    api.state.failures.push({ match: (r) => !fromBlastwall(r), status: 429, times: 1, retryAfter: 30 });
    const started = Date.now();
    const d = await platform().rollback("shop-api", { message: "429 storm" });
    expect(d.versions).toEqual([{ versionId: v1, percentage: 100 }]);
    expect(clock.slept).toBeGreaterThanOrEqual(5 * 60_000);
    expect(Date.now() - started).toBeLessThan(60_000);
    const throttled = api.requests.filter((r) => r.path.includes("/workers/scripts/shop-api"));
    expect(throttled.length).toBeGreaterThan(3);
  });

  it("times out a hung socket and asks again", async () => {
    const { v1 } = seedHistory();
    let hung = 0;
    api.state.hang = (r) => fromBlastwall(r) && r.path.endsWith("/deployments") && hung++ === 0;
    const d = await platform().rollback("shop-api", { message: "hung socket" });
    expect(d.versions).toEqual([{ versionId: v1, percentage: 100 }]);
    expect(hung).toBeGreaterThan(1);
  });

  it("retries 5xx answers, and falls back to versions deploy when wrangler rollback fails", async () => {
    const { v1 } = seedHistory();
    api.state.failures.push(
      { match: (r) => fromBlastwall(r) && r.path.endsWith("/deployments"), status: 502, times: 2 },
      {
        match: (r) => !fromBlastwall(r) && r.method === "POST" && r.path.endsWith("/deployments"),
        status: 400,
        times: 1,
      },
    );
    const d = await platform().rollback("shop-api", { message: "5xx" });
    expect(d.versions).toEqual([{ versionId: v1, percentage: 100 }]);
    expect(warnings.join("\n")).toContain(`deploying ${v1}@100 with versions deploy instead`);
  });

  it("returns a version still in the split to 100% with no pre-flight (the release engine's automatic abort)", async () => {
    const { v2 } = seedHistory();
    const canary = api.seedVersion("shop-api", { "workers/triggered_by": "upload" }, []).id;
    api.seedVersion("shop-api", { "workers/triggered_by": "secret" }, [{ type: "secret_text", name: "API_KEY" }]);
    api.seedDeployment("shop-api", [
      { version_id: v2, percentage: 90 },
      { version_id: canary, percentage: 10 },
    ]);
    const before = api.requests.length;
    const d = await platform().rollback("shop-api", { to: v2.slice(0, 8), message: "blastwall r=r1 p=rolled-back" });
    expect(d.versions).toEqual([{ versionId: v2, percentage: 100 }]);
    const asked = api.requests.slice(before).filter(fromBlastwall);
    // The short id was resolved before wrangler saw it; no pre-flight read the target version.
    expect(asked.some((r) => r.query.deployable?.[0] === "true")).toBe(true);
    expect(asked.some((r) => r.path.endsWith(`/versions/${v2}`))).toBe(false);
    expect(warnings).toEqual([]);
  });

  it("stops on changed secrets until --force comes with a reason", async () => {
    const { v2 } = seedHistory();
    await new Promise((r) => setTimeout(r, 5));
    // A secret change makes a version of its own and deploys it.
    const v3 = api.seedVersion("shop-api", { "workers/triggered_by": "secret" }, [
      { type: "secret_text", name: "API_KEY" },
    ]).id;
    api.seedDeployment("shop-api", [{ version_id: v3, percentage: 100 }]);
    const cf = platform();
    const stopped = await cf.rollback("shop-api").catch((e: unknown) => e);
    expect(stopped).toBeInstanceOf(PreflightError);
    expect((stopped as PreflightError).fix).toContain("--force --message");
    await expect(cf.rollback("shop-api", { force: true })).rejects.toBeInstanceOf(UsageError);
    const d = await cf.rollback("shop-api", { force: true, message: "key rotated back by hand" });
    expect(d.versions).toEqual([{ versionId: v2, percentage: 100 }]);
    expect(warnings.join("\n")).toContain("overridden with --force");
  });

  it("moves Durable Objects to the rolled-back code at once where wrangler would defer them (4.141+)", async () => {
    // wrangler ≥ 4.141 deploys with code_update_strategy "deferred" (up to 300 s) unless told "immediate"; an older
    // wrangler has no such flag (it would refuse it) and sends no strategy at all.
    const defers = versionAtLeast(wranglerVersionOfBin(WRANGLER_BIN), DO_CODE_UPDATE_MODE_SINCE) === true;
    const deploysByWrangler = () =>
      api.requests.filter((r) => !fromBlastwall(r) && r.method === "POST" && r.path.endsWith("/deployments"));
    const { v1, v2 } = seedHistory();
    const before = deploysByWrangler().length;
    await platform().rollback("shop-api", { message: "bad DO code" }); // wrangler rollback
    const canary = api.seedVersion("shop-api", { "workers/triggered_by": "upload" }, []).id;
    api.seedDeployment("shop-api", [
      { version_id: v1, percentage: 90 },
      { version_id: canary, percentage: 10 },
    ]);
    await platform().rollback("shop-api", { to: v1, message: "abort" }); // versions deploy v1@100
    const bodies = deploysByWrangler()
      .slice(before)
      .map((r) => JSON.parse(r.body) as { code_update_strategy?: unknown });
    expect(bodies).toHaveLength(2);
    for (const b of bodies) {
      if (defers) expect(b.code_update_strategy).toEqual({ mode: "immediate" });
      else expect(b).not.toHaveProperty("code_update_strategy");
    }
    expect(await servingNow()).toEqual([{ version_id: v1, percentage: 100 }]);
    expect(v2).not.toBe(v1);
  });

  it("sent and received only what Cloudflare's schema allows", () => {
    expect(api.unknown).toEqual([]);
    expect(api.violations).toEqual([]);
    expect(outputViolations).toEqual([]);
  });
});
