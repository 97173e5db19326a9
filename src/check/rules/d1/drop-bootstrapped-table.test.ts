import { describe, expect, it } from "vitest";
import { gitIn, writeProject } from "../../config/fixture.js";
import { d1Analyzer } from "../../d1/analyzer.js";
import { TEST_WRANGLER } from "../../d1/testing.js";
import { runCheck } from "../../run-check.js";

const RULE = "d1/drop-bootstrapped-table";

const SETUP_CODE = `export async function setup(db: D1Database) {
  await db.prepare("CREATE TABLE IF NOT EXISTS feed (guid TEXT PRIMARY KEY, title TEXT)").run();
}
`;
const DO_CODE = `export class Box { constructor(private ctx: DurableObjectState) {
  ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS feed (id INTEGER)");
} }
`;
const INIT = "DROP TABLE IF EXISTS feed;\nCREATE TABLE feed (guid TEXT PRIMARY KEY, title TEXT, alias TEXT);\n";

/** A project whose files arrive in these commits, a minute apart. */
function history(commits: Record<string, string>[]): string {
  const dir = writeProject({ "wrangler.toml": TEST_WRANGLER, "src/index.ts": "export default {};\n" });
  gitIn(dir, "init", "-q");
  const start = Date.parse("2026-01-05T10:00:00Z") / 1000;
  for (const [i, files] of commits.entries()) {
    writeProject(files, dir);
    gitIn(dir, "add", "-A");
    process.env.GIT_COMMITTER_DATE = `@${start + i * 60} +0000`;
    try {
      gitIn(dir, "commit", "-q", "-m", `c${i}`);
    } finally {
      delete process.env.GIT_COMMITTER_DATE;
    }
  }
  return dir;
}

async function found(dir: string) {
  const r = await runCheck(dir, { analyzers: [d1Analyzer] });
  return r.findings.filter((f) => f.rule === RULE);
}

describe(RULE, () => {
  it("flags a first migration that drops a table the app's code created before it, at the DROP", async () => {
    const dir = history([{ "src/setup.ts": SETUP_CODE }, { "migrations/0000_init.sql": INIT, "src/setup.ts": "" }]);
    const [f, more] = await found(dir);
    expect([f?.file, f?.line, f?.severity]).toEqual(["migrations/0000_init.sql", 1, "warning"]);
    expect(f?.message).toContain(
      "0000_init.sql drops feed, which no earlier migration creates, but the app's code created it itself before this migration existed (src/setup.ts, commit",
    );
    expect(f?.fix).toContain("CREATE TABLE IF NOT EXISTS feed");
    expect(more).toBeUndefined();
  });

  it("stays quiet when code created the table only later, in a Durable Object, or a migration created it", async () => {
    expect(await found(history([{ "migrations/0000_init.sql": INIT }, { "src/setup.ts": SETUP_CODE }]))).toEqual([]);
    expect(await found(history([{ "src/box.ts": DO_CODE }, { "migrations/0000_init.sql": INIT }]))).toEqual([]);
    const recreate = "DROP TABLE IF EXISTS feed;\nCREATE TABLE feed (guid TEXT);\n";
    const dir = history([
      { "src/setup.ts": SETUP_CODE },
      { "migrations/0000_init.sql": "CREATE TABLE IF NOT EXISTS feed (guid TEXT PRIMARY KEY, title TEXT);\n" },
      { "migrations/0001_again.sql": recreate },
    ]);
    expect(await found(dir)).toEqual([]);
  });
});
