import { env, SELF } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { opsAdmin } from "./admin.js";
import { durableObjectStore } from "./stores.js";
import { OPS, type OpsTestEnv } from "./test-worker.js";

const TOKEN = "s3cr3t-ops-token-for-tests-0123456789";
const BASE = "http://ops/__blastwall/ops";

function admin(path: string, init: RequestInit & { token?: string | null } = {}): Promise<Response> {
  const { token = TOKEN, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (token !== null) headers.set("authorization", `Bearer ${token}`);
  return SELF.fetch(`${BASE}${path}`, { ...rest, headers });
}

function put(name: string, body: unknown, token?: string | null): Promise<Response> {
  return admin(`/flags/${encodeURIComponent(name)}`, {
    method: "PUT",
    body: typeof body === "string" ? body : JSON.stringify(body),
    token,
  });
}

/** Everything a response shows the outside: status line, headers and body. */
async function visible(res: Response): Promise<string> {
  return `${res.status} ${res.statusText}\n${[...res.headers].map(([k, v]) => `${k}: ${v}`).join("\n")}\n${await res.text()}`;
}

describe("admin API: auth", () => {
  const logs: string[] = [];
  beforeEach(() => {
    logs.length = 0;
    for (const level of ["log", "warn", "error", "info", "debug"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        logs.push(args.map(String).join(" "));
      });
    }
  });
  afterEach(() => vi.restoreAllMocks());

  it("answers 401 to a missing or wrong token, changes no flag, and never shows the token", async () => {
    expect((await put("auth_probe", { value: "0", actor: "setup" })).status).toBe(200);
    const auditBefore = (await (await admin("/audit?flag=auth_probe")).json()) as { entries: unknown[] };
    const attempts = [
      put("auth_probe", { value: "1", actor: "mallory" }, null),
      put("auth_probe", { value: "1", actor: "mallory" }, "wrong-token"),
      put("auth_probe", { value: "1", actor: "mallory" }, `${TOKEN}x`),
      put("auth_probe", { value: "1", actor: "mallory" }, TOKEN.slice(0, -1)),
      admin("/flags", { token: null }),
      admin("/audit", { token: "nope" }),
      admin("/nowhere", { token: null }),
      SELF.fetch(`${BASE}/flags`, { headers: { authorization: `Basic ${btoa(`x:${TOKEN}`)}` } }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe('Bearer realm="blastwall-ops"');
      const seen = await visible(res);
      expect(seen).not.toContain(TOKEN);
      expect(JSON.parse(seen.slice(seen.indexOf("{")))).toMatchObject({ error: "unauthorized" });
    }
    const flag = (await (await admin("/flags/auth_probe")).json()) as { flag: { value: string; actor: string } };
    expect(flag.flag).toMatchObject({ value: "0", actor: "setup" });
    const auditAfter = (await (await admin("/audit?flag=auth_probe")).json()) as { entries: unknown[] };
    expect(auditAfter.entries).toEqual(auditBefore.entries);
    expect(logs.join("\n")).not.toContain(TOKEN);
  });

  it("refuses every request when no token is configured", async () => {
    const handler = opsAdmin<Omit<OpsTestEnv, "OPS_ADMIN_TOKEN">>({ store: (e) => durableObjectStore(e.OPS_DO) });
    const noToken = { ...env, OPS_ADMIN_TOKEN: undefined };
    for (const auth of [undefined, "Bearer ", "Bearer undefined", `Bearer ${TOKEN}`]) {
      const res = await handler.fetch(
        new Request(`${BASE}/flags`, { headers: auth ? { authorization: auth } : {} }),
        noToken,
      );
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({
        error: "admin_disabled",
        fix: expect.stringContaining("BLASTWALL_ADMIN_TOKEN"),
      });
    }
    const empty = await handler.fetch(new Request(`${BASE}/flags`, { headers: { authorization: "Bearer " } }), {
      ...env,
      BLASTWALL_ADMIN_TOKEN: "",
    } as typeof env);
    expect(empty.status).toBe(403);
  });

  it("keeps the token out of errors when the store is down", async () => {
    const handler = opsAdmin<OpsTestEnv>({
      store: (e) => durableObjectStore(e.OPS_DO_DOWN),
      tokenVar: "OPS_ADMIN_TOKEN",
    });
    const res = await handler.fetch(
      new Request(`${BASE}/flags`, { headers: { authorization: `Bearer ${TOKEN}` } }),
      env,
    );
    expect(res.status).toBe(503);
    const seen = await visible(res);
    expect(seen).toMatch(/store_unreachable/);
    expect(seen).not.toContain(TOKEN);
    expect(logs.join("\n")).toMatch(/store_unreachable/);
    expect(logs.join("\n")).not.toContain(TOKEN);
  });
});

describe("admin API: flags and audit", () => {
  it("sets a flag, records old → new with the actor, and lists it with its fail mode", async () => {
    const first = await put("disable_enqueue", { value: "1", actor: "alice" });
    expect(first.status).toBe(200);
    const body = (await first.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      flag: { name: "disable_enqueue", value: "1", enabled: true, actor: "alice", failMode: "closed" },
      changed: true,
      mirror: { kv: "ok" },
    });
    const previous = body.previous;
    const second = (await (await put("disable_enqueue", { value: "0", actor: "bob" })).json()) as Record<
      string,
      unknown
    >;
    expect(second).toMatchObject({ previous: "1", changed: true, flag: { value: "0", enabled: false } });

    const audit = (await (await admin("/audit?flag=disable_enqueue&limit=2")).json()) as {
      entries: { id: number; at: string; flag: string; old: string | null; new: string; actor: string }[];
    };
    expect(audit.entries.map(({ old, new: next, actor }) => ({ old, new: next, actor }))).toEqual([
      { old: "1", new: "0", actor: "bob" },
      { old: previous, new: "1", actor: "alice" },
    ]);
    expect(Number.isNaN(Date.parse(audit.entries[0]?.at ?? ""))).toBe(false);
    const older = (await (await admin(`/audit?flag=disable_enqueue&before=${audit.entries[0]?.id}`)).json()) as {
      entries: { actor: string }[];
    };
    expect(older.entries[0]?.actor).toBe("alice");

    const list = (await (await admin("/flags")).json()) as {
      store: { kind: string; name: string };
      flags: { name: string; value: string; failMode: string | null; updatedAt: string | null; actor: string | null }[];
    };
    expect(list.store).toEqual({ kind: "durable-object", name: "global" });
    expect(list.flags.find((f) => f.name === "disable_enqueue")).toMatchObject({
      value: "0",
      failMode: "closed",
      actor: "bob",
    });
    // Declared but never set: listed as off, with its fail mode.
    await put("pause_consumer:orders", { value: "1", actor: "carol" });
    const names = list.flags.map((f) => f.name);
    expect(names).toContain("disable_writes");
    const again = (await (await admin("/flags")).json()) as { flags: { name: string; failMode: string | null }[] };
    expect(again.flags.find((f) => f.name === "pause_consumer:orders")?.failMode).toBe("open");
    expect(OPS["pause_consumer:*"].failMode).toBe("open");
  });

  it("mirrors each change to KV as ops:<name>", async () => {
    await put("disable_writes", { value: "1", actor: "dave" });
    const got = await env.OPS_KV.getWithMetadata<{ actor: string; updatedAt: string }>("ops:disable_writes");
    expect(got.value).toBe("1");
    expect(got.metadata?.actor).toBe("dave");
    await put("disable_writes", { value: "0", actor: "dave" });
    expect(await env.OPS_KV.get("ops:disable_writes")).toBe("0");
  });

  it("reports a failed mirror without losing the change", async () => {
    const brokenKv = {
      put: async () => {
        throw new Error("KV PUT failed: 429 Too Many Requests");
      },
    } as unknown as KVNamespace;
    const handler = opsAdmin<OpsTestEnv>({
      store: (e) => durableObjectStore(e.OPS_DO, { name: "mirror-fail" }),
      mirror: () => brokenKv,
      tokenVar: "OPS_ADMIN_TOKEN",
    });
    const res = await handler.fetch(
      new Request(`${BASE}/flags/disable_writes`, {
        method: "PUT",
        headers: { authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ value: "1", actor: "erin" }),
      }),
      env,
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      flag: { value: "1" },
      mirror: { kv: "failed", error: expect.stringMatching(/429/) },
    });
    expect(await durableObjectStore(env.OPS_DO, { name: "mirror-fail" }).list()).toMatchObject([
      { name: "disable_writes", value: "1" },
    ]);
  });

  it("answers 400 to bad input with the fix, and changes nothing", async () => {
    const cases: [string, unknown][] = [
      ["disable_writes", "not json"],
      ["disable_writes", { value: 1, actor: "alice" }],
      ["disable_writes", { value: true, actor: "alice" }],
      ["disable_writes", { value: "1" }],
      ["disable_writes", { value: "1", actor: "" }],
      ["disable_writes", { value: "1", actor: "x".repeat(65) }],
      ["disable_writes", { value: "1\n", actor: "alice" }],
      ["bad name!", { value: "1", actor: "alice" }],
      ["disable_writes", []],
    ];
    for (const [name, body] of cases) {
      const res = await put(name, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(await res.json()).toMatchObject({ error: "bad_request", fix: '{ "value": "1", "actor": "alice" }' });
    }
    expect(
      (await put("disable_writes", JSON.stringify({ value: "1", actor: "a", pad: "x".repeat(5000) }))).status,
    ).toBe(413);
    const audit = (await (await admin("/audit?flag=bad%20name!")).json()) as { entries: unknown[] };
    expect(audit.entries).toEqual([]);
    expect((await admin("/audit?limit=ten")).status).toBe(400);
  });

  it("answers 404 and 405 with what to use", async () => {
    expect((await admin("/nowhere")).status).toBe(404);
    expect((await admin("/flags/never_declared_or_set")).status).toBe(404);
    const post = await admin("/flags", { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET");
    const del = await admin("/flags/disable_writes", { method: "DELETE" });
    expect(del.status).toBe(405);
    expect(del.headers.get("allow")).toBe("GET, PUT");
  });
});
