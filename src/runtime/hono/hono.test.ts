import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";

const TOKEN = "hono-admin-token-for-tests-abcdef";

function setFlag(value: string, token = TOKEN): Promise<Response> {
  return SELF.fetch("http://app/__blastwall/ops/flags/disable_writes", {
    method: "PUT",
    headers: { authorization: `Bearer ${token}` },
    body: JSON.stringify({ value, actor: "hono-test" }),
  });
}

describe("blastwall/hono", () => {
  it("pauses writes through the middleware while reads, health and allow-listed routes keep working", async () => {
    expect((await SELF.fetch("http://app/notes", { method: "POST" })).status).toBe(201);
    expect((await setFlag("1")).status).toBe(200);
    const blocked = await SELF.fetch("http://app/notes", { method: "POST" });
    expect(blocked.status).toBe(503);
    expect(blocked.headers.get("retry-after")).toBe("30");
    expect(await blocked.json()).toMatchObject({ error: "writes_paused", flag: "disable_writes" });
    expect((await SELF.fetch("http://app/notes/7", { method: "DELETE" })).status).toBe(503);
    expect((await SELF.fetch("http://app/notes/7")).status).toBe(200);
    expect((await SELF.fetch("http://app/healthz")).status).toBe(200);
    expect((await SELF.fetch("http://app/webhooks/stripe", { method: "POST" })).status).toBe(200);
    // The admin route is mounted behind the middleware and still answers, so the flag can be switched off.
    expect((await setFlag("0")).status).toBe(200);
    expect((await SELF.fetch("http://app/notes", { method: "POST" })).status).toBe(201);
  });

  it("mounts the admin API with its auth", async () => {
    const wrong = await setFlag("1", "wrong");
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain(TOKEN);
    const list = await SELF.fetch("http://app/__blastwall/ops/flags", {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(list.status).toBe(200);
    const body = (await list.json()) as { flags: { name: string; value: string; failMode: string }[] };
    expect(body.flags).toContainEqual(
      expect.objectContaining({ name: "disable_writes", value: "0", failMode: "open" }),
    );
    const audit = await SELF.fetch("http://app/__blastwall/ops/audit", {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(((await audit.json()) as { entries: { actor: string }[] }).entries[0]?.actor).toBe("hono-test");
  });

  it("maps blastwall's errors: a bad R2 key is 400, a switched-off enqueue is 503, never a 500", async () => {
    const bad = await SELF.fetch("http://app/files/..%2F..%2Fetc");
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: "bad_key", reason: "dot-segment" });
    expect(await (await SELF.fetch("http://app/files/a.txt")).json()).toEqual({ key: "files/a.txt" });
    const off = await SELF.fetch("http://app/enqueue?off=1");
    expect(off.status).toBe(503);
    expect(off.headers.get("retry-after")).toBe("30");
    expect(await off.json()).toMatchObject({ error: "enqueue_paused", flag: "disable_enqueue" });
    expect((await SELF.fetch("http://app/enqueue")).status).toBe(200);
    const bug = await SELF.fetch("http://app/boom");
    expect(bug.status).toBe(500);
    expect(await bug.json()).toEqual({ error: "internal error" });
    expect((await SELF.fetch("http://app/no-such-route")).status).toBe(404);
  });
});
