import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { BASE_MIGRATION, writeProject } from "../../check/d1/testing.js";
import { runCli } from "../main.js";

const shop = fileURLToPath(new URL("../../../examples/shop", import.meta.url));

/** Runs the CLI with captured output. */
async function cli(argv: string[], env: NodeJS.ProcessEnv = { CI: "true" }) {
  const chunks = { out: [] as string[], err: [] as string[] };
  const sink = (into: string[]) =>
    new Writable({
      write(chunk, _enc, done) {
        into.push(String(chunk));
        done();
      },
    });
  const code = await runCli({ argv, env, stdout: sink(chunks.out), stderr: sink(chunks.err) });
  return { code, out: chunks.out.join(""), err: chunks.err.join("") };
}

const risky = () =>
  writeProject({
    "migrations/0001_base.sql": BASE_MIGRATION,
    "migrations/0002_drop.sql": "\nALTER TABLE orders DROP COLUMN status;",
  });

describe("blastwall check", () => {
  it("passes examples/shop with exit 0 and prints each migration's class", async () => {
    const r = await cli(["check", shop]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("expand    migrations/0001_create_orders.sql");
    expect(r.out).toContain("✓ 0 errors");
  });

  it("exits 1 on an error finding, with a code frame and the fix in the pretty report", async () => {
    const r = await cli(["check", risky()]);
    expect(r.code).toBe(1);
    expect(r.out).toContain("migrations/0002_drop.sql  (contract)");
    expect(r.out).toContain("> 2 | ALTER TABLE orders DROP COLUMN status;");
    expect(r.out).toContain("fix: Contract in two releases");
  });

  it("prints the JSON contract on stdout only", async () => {
    for (const argv of [["--format", "json"], ["--json"]]) {
      const r = await cli(["check", risky(), ...argv]);
      expect(r.code).toBe(1);
      const doc = JSON.parse(r.out) as {
        version: number;
        findings: { rule: string; line: number }[];
        migrations: unknown[];
      };
      expect(doc.version).toBe(1);
      expect(doc.findings.map((f) => [f.rule, f.line])).toEqual([["d1/drop-column", 2]]);
      expect(doc.migrations).toHaveLength(2);
    }
  });

  it("prints SARIF 2.1.0", async () => {
    const r = await cli(["check", risky(), "--format", "sarif"]);
    const sarif = JSON.parse(r.out) as {
      version: string;
      runs: {
        tool: { driver: { rules: { id: string }[] } };
        results: { ruleId: string; level: string; locations: unknown[] }[];
      }[];
    };
    expect(sarif.version).toBe("2.1.0");
    const run = sarif.runs[0];
    expect(run?.results[0]).toMatchObject({
      ruleId: "d1/drop-column",
      level: "error",
      locations: [
        { physicalLocation: { artifactLocation: { uri: "migrations/0002_drop.sql" }, region: { startLine: 2 } } },
      ],
    });
    expect(run?.tool.driver.rules.some((x) => x.id === "d1/rebuild-cascade")).toBe(true);
  });

  it("adds GitHub annotations when GITHUB_ACTIONS=true, with paths from the workspace", async () => {
    const dir = risky();
    const r = await cli(["check", dir], { CI: "true", GITHUB_ACTIONS: "true", GITHUB_WORKSPACE: join(dir, "..") });
    const name = dir.split("/").pop() ?? "";
    expect(r.out).toContain(
      `::error file=${name}/migrations/0002_drop.sql,line=2,title=d1/drop-column::drops column orders.status`,
    );
    const only = await cli(["check", dir, "--format", "github"]);
    expect(only.out.trim().split("\n")).toHaveLength(1);
  });

  it("exits 2 on unusable input, naming the file and line", async () => {
    const dir = writeProject({});
    writeFileSync(join(dir, "wrangler.toml"), 'name = "x"\n[[d1_databases]\n');
    const r = await cli(["check", dir]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/wrangler\.toml:2/);
    const bad = await cli(["check", risky(), "--format", "xml"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("pretty, json, sarif, github");
  });

  it("replays on --data given relative to the working directory", async () => {
    const dir = risky();
    writeFileSync(join(dir, "prod.sql"), "CREATE TABLE other (x);");
    const r = await cli(["check", dir, "--data", join(dir, "prod.sql"), "--format", "json"]);
    expect(r.code).toBe(1);
  });
});

describe("blastwall migrations lock", () => {
  it("writes migrations.lock, which check then verifies", async () => {
    const dir = risky();
    const r = await cli(["migrations", "lock", dir]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("wrote migrations/migrations.lock (2 migrations)");
    expect(readFileSync(join(dir, "migrations/migrations.lock"), "utf8")).toMatch(
      /^0002_drop\.sql sha256:[0-9a-f]{64}$/m,
    );
    writeFileSync(join(dir, "migrations/0001_base.sql"), `${BASE_MIGRATION}\n-- edited`);
    const check = await cli(["check", dir, "--json"]);
    expect(check.out).toContain("d1/lock-mismatch");
  });

  it("refuses to re-lock an edited history without --force", async () => {
    const dir = risky();
    await cli(["migrations", "lock", dir]);
    writeFileSync(join(dir, "migrations/0001_base.sql"), "-- changed");
    const refused = await cli(["migrations", "lock", dir]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain("0001_base.sql was edited");
    expect((await cli(["migrations", "lock", dir, "--force", "--json"])).code).toBe(0);
  });
});
