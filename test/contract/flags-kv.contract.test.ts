import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCloudflarePlatform } from "../../src/platform/cloudflare/index.js";
import { type ContractServer, startCloudflareApiServer } from "./cloudflare-api-server.js";

/** Contract tests for the platform's REST-only paths: flags kept in KV, and a Worker that was never deployed. */

let api: ContractServer;
const KV = "4b7e0c7f5a2d4f8f9a9e6d3c2b1a0f99";

beforeAll(async () => {
  api = await startCloudflareApiServer();
});

afterAll(async () => {
  await api?.close();
});

function platform(extra: Record<string, string> = {}) {
  return createCloudflarePlatform({
    projectDir: new URL("../../examples/shop", import.meta.url).pathname,
    processEnv: {
      CLOUDFLARE_API_TOKEN: "kv-test-token-123456",
      CLOUDFLARE_ACCOUNT_ID: api.state.accountId,
      CLOUDFLARE_API_BASE_URL: api.apiBaseUrl,
      ...extra,
    },
  });
}

describe("flags in KV contract test", () => {
  it("writes ops:<name> with who and when as KV metadata, and lists every ops: key back across pages", async () => {
    const cf = platform({ BLASTWALL_FLAGS_KV_ID: KV });
    const set = await cf.setFlag("disable_writes", "1", "oncall:bob");
    expect(set).toMatchObject({ name: "disable_writes", value: "1", actor: "oncall:bob" });
    api.state.kv.get(KV)?.set("config:banner", "hello");
    const flags = await cf.listFlags();
    // What setFlag returned is what was stored: the actor and time come back from KV.
    expect(flags).toEqual([{ name: "disable_writes", value: "1", actor: "oncall:bob", updatedAt: set.updatedAt }]);
    const put = api.requests.find((r) => r.method === "PUT");
    expect(put?.path).toBe(
      `/client/v4/accounts/${api.state.accountId}/storage/kv/namespaces/${KV}/values/ops%3Adisable_writes`,
    );
    expect(put?.body).toBe("<multipart>");
    // More keys than one page (the fake pages at 10, like a small `limit`): every one is read.
    for (let i = 0; i < 14; i++) api.state.kv.get(KV)?.set(`ops:pause_consumer:q${String(i).padStart(2, "0")}`, "0");
    expect(await cf.listFlags()).toHaveLength(15);
    expect(api.requests.some((r) => r.path.endsWith("/keys") && r.query.cursor !== undefined)).toBe(true);
  });

  it("says how to configure a flag store when there is none (exit 2)", async () => {
    const err = await platform()
      .listFlags()
      .catch((e: unknown) => e);
    expect((err as Error).message).toContain("no flag store configured");
    expect((err as { kind: string }).kind).toBe("input");
  });
});

describe("never-deployed Worker contract test", () => {
  it("has no current deployment and no restore points, rather than an error", async () => {
    const cf = platform();
    expect(await cf.currentDeployment("shop-api")).toBeUndefined();
    expect(await cf.listRestorePoints("shop-api", "shop")).toEqual([]);
    expect(await cf.metrics({ worker: "shop-api", since: new Date(Date.now() - 300_000) })).toEqual([]);
  });

  it("sent and received only what Cloudflare's schema allows", () => {
    expect(api.unknown).toEqual([]);
    expect(api.violations).toEqual([]);
  });

  it("refuses to start without credentials, naming what to set", () => {
    expect(() => createCloudflarePlatform({ processEnv: {} })).toThrow(/CLOUDFLARE_API_TOKEN is not set/);
  });

  it("left no request unanswered", () => {
    expect(api.unknown).toEqual([]);
  });
});
