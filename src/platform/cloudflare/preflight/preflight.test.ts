import { describe, expect, it } from "vitest";
import { CloudflareApiError } from "../api.js";
import {
  assertUploadPreflight,
  checkBindingsDeletedSince,
  checkPendingDurableObjectMigration,
  type PreflightApi,
  PreflightError,
} from "./index.js";

/** An in-memory stand-in for the account API: path → result, or a status to fail with. */
function fakeApi(routes: Record<string, unknown>): PreflightApi {
  return {
    account: async <T>(path: string) => {
      const r = routes[path];
      if (typeof r === "number") throw new CloudflareApiError(path, r, [{ code: 10000, message: "nope" }], []);
      if (r === undefined) throw new Error(`unexpected call ${path}`);
      return r as T;
    },
  };
}

describe("pre-flight checks (logic)", () => {
  it("compares migration tags written as numbers and strings alike", async () => {
    const api = fakeApi({ "/workers/scripts": [{ id: "w", migration_tag: "2" }] });
    expect(
      await checkPendingDurableObjectMigration(api, "w", { migrations: [{ tag: 1 }, { tag: 2 }] }),
    ).toBeUndefined();
    const pending = await checkPendingDurableObjectMigration(api, "w", {
      migrations: [{ tag: 1 }, { tag: 2 }, { tag: 3 }],
    });
    expect(pending?.reason).toContain("(3; deployed tag: 2)");
  });

  it("throws one PreflightError with the reason, the error code and the fix", async () => {
    const api = fakeApi({ "/workers/scripts": [] });
    const err = await assertUploadPreflight(api, "w", { migrations: [{ tag: "v1", new_classes: ["A"] }] }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PreflightError);
    expect((err as Error).message).toMatch(/^pre-flight pending-do-migration \(error 10211\): w has a Durable Object/);
    expect((err as PreflightError).fix).toContain("ship it with `wrangler deploy`, in a release of its own");
  });

  it("lets a refused request through instead of calling a binding deleted", async () => {
    const api = fakeApi({
      "/workers/scripts/w/versions/t": { id: "t", resources: { bindings: [{ type: "d1", name: "DB", id: "x" }] } },
      "/d1/database/x": 400,
    });
    await expect(checkBindingsDeletedSince(api, "w", "t")).rejects.toBeInstanceOf(CloudflareApiError);
  });

  it("warns and goes on when it cannot read a resource (403, 5xx)", async () => {
    const api = fakeApi({
      "/workers/scripts/w/versions/t": {
        id: "t",
        resources: {
          bindings: [
            { type: "d1", name: "DB", database_id: "x" },
            { type: "kv_namespace", name: "KV", namespace_id: "k" },
          ],
        },
      },
      "/d1/database/x": 503,
      "/storage/kv/namespaces/k": 403,
    });
    const warnings: string[] = [];
    expect(await checkBindingsDeletedSince(api, "w", "t", (m) => warnings.push(m))).toBeUndefined();
    expect(warnings.map((w) => w.split(":")[0])).toEqual([
      "pre-flight bindings-deleted could not check D1 DB (x)",
      "pre-flight bindings-deleted could not check KV KV (k)",
    ]);
  });
});
