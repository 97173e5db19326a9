import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BlastwallError } from "../core/errors.js";
import { loadWranglerConfig } from "../project/wrangler-config.js";
import { checkGate, dryRunGate, hashBundle } from "./gates.js";

describe("release gates", () => {
  it("wrangler --dry-run passes the shop and gives a stable bundle hash", async () => {
    const cfg = loadWranglerConfig("examples/shop/consumer/wrangler.jsonc");
    const a = await dryRunGate(cfg);
    const b = await dryRunGate(cfg);
    expect(a.bundleHash).toMatch(/^[0-9a-f]{64}$/);
    expect(a.bundleHash).toBe(b.bundleHash);
    expect(a.bytes).toBeGreaterThan(100);
  }, 90_000);

  it("a config wrangler rejects closes the gate with exit 1 and names the file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bw-dry-"));
    writeFileSync(
      join(dir, "wrangler.json"),
      JSON.stringify({ name: "x", main: "missing.ts", compatibility_date: "2026-04-01" }),
    );
    const err = await dryRunGate(loadWranglerConfig(join(dir, "wrangler.json"))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlastwallError);
    expect((err as BlastwallError).kind).toBe("failure");
    expect((err as BlastwallError).location?.file).toBe(join(dir, "wrangler.json"));
    // The message starts at wrangler's own error line, without colour codes or the log-file note.
    expect((err as BlastwallError).message).toMatch(/^wrangler deploy --dry-run failed:\n.*\[ERROR\]/);
    expect((err as BlastwallError).message).not.toContain(String.fromCharCode(27));
    expect((err as BlastwallError).message).not.toContain("Logs were written");
  }, 90_000);

  it("the bundle hash ignores source maps and README, and sees code and compatibility changes", () => {
    const dir = mkdtempSync(join(tmpdir(), "bw-hash-"));
    writeFileSync(join(dir, "index.js"), "export default {}");
    writeFileSync(join(dir, "index.js.map"), "{}");
    writeFileSync(join(dir, "README.md"), String(Date.now()));
    const compat = { compatibility_date: "2026-04-01", compatibility_flags: ["nodejs_compat"] };
    const h1 = hashBundle(dir, compat).bundleHash;
    writeFileSync(join(dir, "index.js.map"), '{"changed":1}');
    writeFileSync(join(dir, "README.md"), "other");
    expect(hashBundle(dir, compat).bundleHash).toBe(h1);
    expect(hashBundle(dir, { ...compat, compatibility_date: "2026-05-01" }).bundleHash).not.toBe(h1);
    writeFileSync(join(dir, "index.js"), "export default { fetch() {} }");
    expect(hashBundle(dir, compat).bundleHash).not.toBe(h1);
  });

  it("blastwall check runs as the first gate", async () => {
    const r = await checkGate("examples/shop");
    expect(r.ok).toBe(true);
    expect(r.summary).toMatch(/^0 errors, \d+ warnings/);
  });
});
