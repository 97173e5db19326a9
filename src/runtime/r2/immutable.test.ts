import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { contentKey, newVersion, putImmutable, versionedKey } from "./immutable.js";
import { UnsafeKeyError } from "./key.js";

describe("putImmutable against the real R2 binding", () => {
  it("creates once and never overwrites", async () => {
    const first = await putImmutable(env.R2_BUCKET, "imm/a.txt", "one", {
      httpMetadata: { contentType: "text/plain" },
    });
    expect(first.status).toBe("created");
    const second = await putImmutable(env.R2_BUCKET, "imm/a.txt", "two");
    expect(second.status).toBe("exists");
    if (second.status !== "exists" || first.status !== "created") throw new Error("unexpected");
    expect(second.existing?.etag).toBe(first.object.etag);
    expect(await (await env.R2_BUCKET.get("imm/a.txt"))?.text()).toBe("one");
  });

  it("lets exactly one of many racing writers win", async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => putImmutable(env.R2_BUCKET, "imm/race.txt", `writer-${i}`)),
    );
    expect(results.filter((r) => r.status === "created")).toHaveLength(1);
    const winner = results.find((r) => r.status === "created");
    const stored = await (await env.R2_BUCKET.get("imm/race.txt"))?.text();
    expect(winner?.status === "created" && stored === `writer-${results.indexOf(winner)}`).toBe(true);
  });
});

describe("content-addressed and versioned keys", () => {
  it("derives the key from the bytes", async () => {
    const a = await contentKey("hello", { prefix: "assets", extension: ".txt" });
    expect(a).toBe("assets/sha256-2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824.txt");
    expect(await contentKey(new TextEncoder().encode("hello"), { prefix: "assets", extension: ".txt" })).toBe(a);
    expect(await contentKey("hello!")).not.toBe(a);
  });

  it("writes content-addressed keys idempotently", async () => {
    const key = await contentKey("style{}", { prefix: "css" });
    expect((await putImmutable(env.R2_BUCKET, key, "style{}")).status).toBe("created");
    expect((await putImmutable(env.R2_BUCKET, key, "style{}")).status).toBe("exists");
  });

  it("makes time-sorted version prefixes and validates every part", () => {
    const older = newVersion(new Date("2026-01-01T00:00:00Z"));
    const newer = newVersion(new Date("2026-01-02T00:00:00Z"));
    expect(older < newer).toBe(true);
    expect(older).toMatch(/^20260101T000000000Z-[0-9a-f]{8}$/);
    expect(newVersion()).not.toBe(newVersion());
    expect(versionedKey("site", older, "index.html")).toBe(`site/v/${older}/index.html`);
    expect(() => versionedKey("site", older, "../index.html")).toThrow(UnsafeKeyError);
  });
});
