import { rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { d1Analyzer } from "../../d1/analyzer.js";
import { TEST_WRANGLER, writeProject } from "../../d1/testing.js";
import { runCheck } from "../../run-check.js";

describe("d1/missing-migrations-dir", () => {
  it("points at migrations_dir in the config when the folder is missing", async () => {
    const dir = writeProject(
      {},
      TEST_WRANGLER.replace('migrations_dir = "migrations"', 'migrations_dir = "db/migrations"'),
    );
    const r = await runCheck(dir, { analyzers: [d1Analyzer] });
    expect(r.findings.map((f) => [f.rule, f.file, f.line])).toEqual([
      ["d1/missing-migrations-dir", "wrangler.toml", 9],
    ]);
    expect(r.findings[0]?.message).toContain('"db/migrations"');
  });
  it("stays quiet when migrations_dir is not set and the default folder does not exist", async () => {
    const dir = writeProject({}, TEST_WRANGLER.replace('migrations_dir = "migrations"\n', ""));
    rmSync(join(dir, "migrations"), { recursive: true });
    const r = await runCheck(dir, { analyzers: [d1Analyzer] });
    expect(r.findings).toEqual([]);
  });
});
