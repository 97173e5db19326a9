import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { captureOutput } from "../../../test/cli/capture.js";
import { MemoryPlatform } from "../../../test/release/memory-platform.js";
import { createOutput } from "../../core/console.js";
import { resolveWorkerConfig } from "../../project/blastwall-config.js";
import { loadWranglerConfig } from "../../project/wrangler-config.js";
import { gatherPlan } from "../../release/plan.js";
import { formatMark, formatVersionMessage } from "../../release/state.js";
import { printPlan } from "./plan.js";

describe("plan output", () => {
  it("shows the version in force, each migration with its class and order, and the refusal with its split", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bw-plan-"));
    writeFileSync(
      join(dir, "wrangler.json"),
      JSON.stringify({
        name: "api",
        main: "i.ts",
        d1_databases: [{ binding: "DB", database_name: "shop", migrations_dir: "." }],
      }),
    );
    writeFileSync(join(dir, "0001_add.sql"), "ALTER TABLE orders ADD COLUMN note TEXT;");
    writeFileSync(join(dir, "0002_drop.sql"), "\nALTER TABLE orders DROP COLUMN legacy;");
    const wrangler = loadWranglerConfig(join(dir, "wrangler.json"));
    const p = new MemoryPlatform(new Date("2026-11-26T10:00:00Z"), { shop: ["0001_add.sql", "0002_drop.sql"] });
    const v = await p.uploadVersion({
      worker: "api",
      configPath: "",
      message: formatVersionMessage("r-1", "0123456789abcdef"),
    });
    await p.deploy("api", [{ versionId: v.id, percentage: 100 }], {
      message: formatMark({ release: "r-1", phase: "promoted", candidate: v.id }),
    });
    p.clock += 3 * 3600_000;
    const plan = await gatherPlan({
      platform: p,
      projectDir: dir,
      wrangler,
      config: resolveWorkerConfig({}, "api", wrangler),
      bundleHash: "fedcba9876543210",
      now: p.now(),
    });
    const io = captureOutput();
    printPlan(createOutput({ stdout: io.stdout, stderr: io.stderr, env: { CI: "true" } }), plan);
    const text = io.text().out;
    expect(text).toContain("in force       00000001 100% (bundle 01234567) · 3.0 h at 100%");
    expect(text).toContain("code           changed: bundle fedcba98 ≠ in force 01234567");
    expect(text).toContain("D1 shop        0001_add.sql  expand  → held back");
    expect(text).toContain("0002_drop.sql  contract  (ALTER TABLE orders DROP COLUMN legacy… line 2)  → held back");
    expect(text).toContain("DO migrations  unknown: the platform cannot say which tag it applied");
    expect(text).toMatch(/verdict {8}refused: this release carries an irreversible data change/);
    expect(text).toContain(
      "→ release 1, the code: with the expand migrations 0001_add.sql; move 0002_drop.sql out of .",
    );
  });
});
