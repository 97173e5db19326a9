import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { Miniflare } from "miniflare";
import { describe, expect, it } from "vitest";
import { writeFaultyVariant } from "./fault.js";
import { loadWranglerConfig } from "./wrangler-config.js";

const run = promisify(execFile);
const wrangler = join(process.cwd(), "node_modules", "wrangler", "bin", "wrangler.js");

async function bundle(configPath: string): Promise<string> {
  const outdir = mkdtempSync(join(tmpdir(), "bw-fault-"));
  await run(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", outdir, "-c", configPath], {
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
  });
  // wrangler names the bundle after the entry module.
  const script = readdirSync(outdir).find((f) => f.endsWith(".js"));
  if (!script) throw new Error(`wrangler wrote no script to ${outdir}`);
  return join(outdir, script);
}

describe("faulty variants", () => {
  it("wraps the shop's own code, keeps its Durable Object exports, and cleans up", async () => {
    const variant = writeFaultyVariant("examples/shop/api/wrangler.jsonc", { errorRate: 0.25, spare: ["/healthz"] });
    try {
      const cfg = loadWranglerConfig(variant.configPath);
      expect(cfg.main).toMatch(/^\.\/\.blastwall-fault-[0-9a-f]{8}\.mjs$/);
      expect(cfg.d1_databases[0]?.migrations_dir).toBe("../migrations");
      const script = await bundle(variant.configPath);
      const code = readFileSync(script, "utf8");
      expect(code).toContain("injected fault (blastwall)");
      expect(code).toMatch(/export\s*\{[^}]*\bCart\b/);
    } finally {
      variant.cleanup();
    }
    expect(existsSync(variant.configPath)).toBe(false);
  }, 60_000);

  it("fails every n-th faulted request and spares the rest, on workerd", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bw-fault-worker-"));
    writeFileSync(join(dir, "index.js"), `export default { fetch: () => new Response("ok") };`);
    writeFileSync(join(dir, "wrangler.toml"), `name = "w"\nmain = "index.js"\ncompatibility_date = "2026-04-01"\n`);
    const variant = writeFaultyVariant(join(dir, "wrangler.toml"), { errorRate: 0.25, spare: ["/healthz"] });
    const script = await bundle(variant.configPath);
    const mf = new Miniflare({
      modules: true,
      scriptPath: script,
      modulesRoot: dirname(script),
      compatibilityDate: "2026-04-01",
    });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 8; i++) codes.push((await mf.dispatchFetch("http://w/orders")).status);
      expect(codes).toEqual([200, 200, 200, 500, 200, 200, 200, 500]);
      for (let i = 0; i < 8; i++) expect((await mf.dispatchFetch("http://w/healthz")).status).toBe(200);
    } finally {
      await mf.dispose();
      variant.cleanup();
    }
  }, 60_000);
});
