import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const wrangler = join(process.cwd(), "node_modules", "wrangler", "bin", "wrangler.js");

describe("examples/shop", () => {
  it.each(["api", "consumer"])(
    "%s passes `wrangler deploy --dry-run`",
    async (worker) => {
      const outdir = mkdtempSync(join(tmpdir(), `bw-dry-${worker}-`));
      const { stdout } = await run(
        process.execPath,
        [wrangler, "deploy", "--dry-run", "--outdir", outdir, "-c", `examples/shop/${worker}/wrangler.jsonc`],
        { env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" }, timeout: 60_000 },
      );
      expect(stdout).toContain("--dry-run: exiting now.");
      expect(readdirSync(outdir)).toContain("index.js");
    },
    90_000,
  );
});
