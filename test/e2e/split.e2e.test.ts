import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, cliJson, type ShopEdge, startShopEdge, type UploadedVersion, upload } from "./helpers.js";

const VERSION_HEADER = "x-blastwall-version";

type Headers = Record<string, string>;

/** Fires `total` GETs at the router, `concurrency` at a time; returns the version that served each, in order. */
async function load(
  shop: ShopEdge,
  total: number,
  { concurrency = 16, headers = {} }: { concurrency?: number; headers?: Headers | ((i: number) => Headers) } = {},
): Promise<{ version: string; status: number; startedAt: number }[]> {
  const results: { version: string; status: number; startedAt: number }[] = new Array(total);
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const i = next++;
      const startedAt = Date.now();
      const h = typeof headers === "function" ? headers(i) : headers;
      const res = await fetch(shop.url("/healthz"), { headers: h });
      await res.arrayBuffer();
      results[i] = { version: res.headers.get(VERSION_HEADER) ?? "", status: res.status, startedAt };
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

describe("local edge: split, affinity, override, rollback", () => {
  let shop: ShopEdge;
  let v1: UploadedVersion;
  let v2: UploadedVersion;

  beforeAll(async () => {
    shop = await startShopEdge("split");
    v1 = await upload(shop, "shop-api", "v1");
    await cliJson(shop.dir, ["versions", "deploy", `${v1.id}@100`, "--message", "first"]);
    v2 = await upload(shop, "shop-api", "v2");
    await cliJson(shop.dir, ["versions", "deploy", `${v2.id.slice(0, 8)}@10`, "v1@90", "--message", "canary"]);
  });

  afterAll(async () => {
    await shop?.teardown();
  });

  it("serves the 90/10 split within ±3 points over 2,000 requests", async () => {
    const results = await load(shop, 2000);
    expect(results.every((r) => r.status === 200)).toBe(true);
    const canary = results.filter((r) => r.version === v2.id).length;
    const stable = results.filter((r) => r.version === v1.id).length;
    expect(canary + stable).toBe(2000);
    expect(Math.abs((canary / 2000) * 100 - 10)).toBeLessThanOrEqual(3);
    // The Worker itself sees the version it runs as (version_metadata binding).
    const body = (await (
      await fetch(shop.url("/healthz"), { headers: { "Cloudflare-Workers-Version-Overrides": `shop-api="${v2.id}"` } })
    ).json()) as { version: string };
    expect(body.version).toBe(v2.id);
  });

  it("keeps a version key on one version, and only moves keys forward as the canary grows", async () => {
    const keys = Array.from({ length: 200 }, (_, i) => `user-${i}`);
    const first = new Map<string, string>();
    for (let round = 0; round < 3; round++) {
      const results = await load(shop, keys.length, {
        headers: (i) => ({ "Cloudflare-Workers-Version-Key": keys[i] ?? "" }),
      });
      results.forEach((r, i) => {
        const key = keys[i] ?? "";
        const seen = first.get(key);
        if (seen === undefined) first.set(key, r.version);
        else expect(r.version, key).toBe(seen);
      });
    }
    const onCanary = [...first.values()].filter((v) => v === v2.id).length;
    expect(onCanary).toBeGreaterThan(0);
    expect(onCanary).toBeLessThan(keys.length / 2);

    await cliJson(shop.dir, ["versions", "deploy", `${v2.id}@50`, `${v1.id}@50`]);
    const grown = await load(shop, keys.length, {
      headers: (i) => ({ "Cloudflare-Workers-Version-Key": keys[i] ?? "" }),
    });
    grown.forEach((r, i) => {
      if (first.get(keys[i] ?? "") === v2.id) expect(r.version, "a key on the canary stays there").toBe(v2.id);
    });
    expect(grown.filter((r) => r.version === v2.id).length).toBeGreaterThan(onCanary);
    await cliJson(shop.dir, ["versions", "deploy", `${v2.id}@10`, `${v1.id}@90`]);
  });

  it("pins a request with Cloudflare-Workers-Version-Overrides", async () => {
    for (const v of [v1, v2]) {
      const results = await load(shop, 40, {
        headers: { "Cloudflare-Workers-Version-Overrides": `shop-api="${v.id}"` },
      });
      expect(new Set(results.map((r) => r.version))).toEqual(new Set([v.id]));
    }
    // The Worker's own URL (what smoke checks use) reaches it by path prefix.
    const base = await shop.platform.workerUrl("shop-api");
    const pinned = await fetch(`${base}/healthz`, {
      headers: { "Cloudflare-Workers-Version-Overrides": `shop-api="${v2.id}"` },
    });
    expect(pinned.headers.get(VERSION_HEADER)).toBe(v2.id);
    expect(((await pinned.json()) as { ok: boolean }).ok).toBe(true);
    // An override for another Worker does not apply here.
    const other = await load(shop, 200, {
      headers: { "Cloudflare-Workers-Version-Overrides": `shop-consumer="${v2.id}"` },
    });
    expect(new Set(other.map((r) => r.version)).size).toBe(2);
  });

  it("deploys a candidate at 0%: no traffic reaches it, except by override (smoke checks)", async () => {
    await cliJson(shop.dir, ["versions", "deploy", `${v2.id}@0`, `${v1.id}@100`, "--message", "smoke v2"]);
    const plain = await load(shop, 300);
    expect(new Set(plain.map((r) => r.version))).toEqual(new Set([v1.id]));
    const keyed = await load(shop, 100, { headers: (i) => ({ "Cloudflare-Workers-Version-Key": `k-${i}` }) });
    expect(new Set(keyed.map((r) => r.version))).toEqual(new Set([v1.id]));
    const smoke = await load(shop, 10, { headers: { "Cloudflare-Workers-Version-Overrides": `shop-api="${v2.id}"` } });
    expect(new Set(smoke.map((r) => r.version))).toEqual(new Set([v2.id]));
    await cliJson(shop.dir, ["versions", "deploy", `${v2.id}@10`, `${v1.id}@90`, "--message", "canary"]);
  });

  it("keeps serving while a new version is added (workerd restarts behind the router's gate)", async () => {
    let stop = false;
    const statuses: number[] = [];
    const failures: string[] = [];
    const traffic = Promise.all(
      Array.from({ length: 6 }, async () => {
        while (!stop) {
          try {
            const res = await fetch(shop.url("/healthz"));
            await res.arrayBuffer();
            statuses.push(res.status);
          } catch (err) {
            failures.push(String(err));
          }
        }
      }),
    );
    const v3 = await upload(shop, "shop-api", "v3");
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await traffic;
    expect(v3.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(failures).toEqual([]);
    expect(statuses.length).toBeGreaterThan(20);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });

  it("reports per-version metrics", async () => {
    const m = await cliJson<{ versions: { versionId: string; requests: number; status: { "2xx": number } }[] }>(
      shop.dir,
      ["metrics", "--since", "5m"],
    );
    const byId = new Map(m.versions.map((v) => [v.versionId, v]));
    expect(byId.get(v1.id)?.requests).toBeGreaterThan(1000);
    expect(byId.get(v2.id)?.status["2xx"]).toBeGreaterThan(50);
  });

  it("rolls back to 100% v1 within 1 s with no failed request during the switch", async () => {
    let stop = false;
    const seen: { version: string; status: number; startedAt: number }[] = [];
    const failures: string[] = [];
    const traffic = Promise.all(
      Array.from({ length: 8 }, async () => {
        while (!stop) {
          const startedAt = Date.now();
          try {
            const res = await fetch(shop.url("/healthz"));
            await res.arrayBuffer();
            seen.push({ version: res.headers.get(VERSION_HEADER) ?? "", status: res.status, startedAt });
          } catch (err) {
            failures.push(String(err));
          }
        }
      }),
    );
    await new Promise((r) => setTimeout(r, 500));
    const t0 = Date.now();
    await shop.platform.rollback("shop-api", { message: "drill: canary 5xx" });
    const switchedAt = Date.now();
    await new Promise((r) => setTimeout(r, 1000));
    stop = true;
    await traffic;
    expect(switchedAt - t0).toBeLessThan(1000);
    expect(failures).toEqual([]);
    expect(seen.filter((r) => r.status !== 200)).toEqual([]);
    const after = seen.filter((r) => r.startedAt >= switchedAt);
    expect(after.length).toBeGreaterThan(20);
    expect(new Set(after.map((r) => r.version))).toEqual(new Set([v1.id]));
    expect(seen.some((r) => r.startedAt < t0 && r.version === v2.id)).toBe(true);

    const list = await cliJson<{
      deployments: { kind: string; message?: string; versions: { versionId: string }[] }[];
    }>(shop.dir, ["deployments", "list"]);
    expect(list.deployments[0]).toMatchObject({ kind: "rollback", message: "drill: canary 5xx" });
    expect(list.deployments.map((d) => d.message)).toContain("canary");
  });

  it("rejects a split that does not add up, naming the fix", async () => {
    const r = await cli(shop.dir, ["versions", "deploy", `${v2.id}@10`, `${v1.id}@80`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("add up to 90%");
    expect(r.stderr).toContain("fix:");
  });
});
