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
});
