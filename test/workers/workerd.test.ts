import { env } from "cloudflare:test";
import { WorkerEntrypoint } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

declare global {
  namespace Cloudflare {
    interface Env {
      DB: D1Database;
      KV: KVNamespace;
    }
  }
}

// This tier must run inside workerd: `cloudflare:workers` cannot be imported by Node, and the
// D1 and KV bindings only exist in the Workers test environment.
describe("the workers test tier", () => {
  it("runs inside workerd", () => {
    expect(navigator.userAgent).toBe("Cloudflare-Workers");
    expect(typeof WorkerEntrypoint).toBe("function");
  });

  it("uses real D1 and KV bindings", async () => {
    await env.DB.exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT)");
    await env.DB.batch([
      env.DB.prepare("INSERT INTO t (v) VALUES (?)").bind("a"),
      env.DB.prepare("INSERT INTO t (v) VALUES (?)").bind("b"),
    ]);
    const row = await env.DB.prepare("SELECT count(*) AS n FROM t").first<{ n: number }>();
    expect(row?.n).toBe(2);
    // D1's authorizer refuses functions that plain SQLite allows: proof this is D1, not a stand-in.
    await expect(env.DB.prepare("SELECT sqlite_version()").first()).rejects.toThrow(/not authorized/);
    await env.KV.put("ops:disable_writes", "1", { metadata: { by: "test" } });
    const got = await env.KV.getWithMetadata<{ by: string }>("ops:disable_writes");
    expect(got.value).toBe("1");
    expect(got.metadata?.by).toBe("test");
  });
});
