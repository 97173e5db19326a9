import { rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { gitIn, writeProject } from "../config/fixture.js";
import { runCheck } from "../run-check.js";
import { d1Analyzer } from "./analyzer.js";
import { releaseWindows } from "./release-windows.js";
import { TEST_WRANGLER } from "./testing.js";

const BASE = "CREATE TABLE content (id INTEGER PRIMARY KEY, title TEXT);";
const ADD = "ALTER TABLE content ADD COLUMN parent_id INTEGER;";
const DROP = "ALTER TABLE content DROP COLUMN parent_id;";

/** A project whose migrations arrive in the given commits, each a map of files. */
function history(commits: Record<string, string>[], pending: Record<string, string> = {}): string {
  const dir = writeProject({ "wrangler.toml": TEST_WRANGLER });
  gitIn(dir, "init", "-q");
  for (const [i, files] of commits.entries()) {
    writeProject(files, dir);
    gitIn(dir, "add", "-A");
    gitIn(dir, "commit", "-q", "-m", `c${i}`);
  }
  writeProject(pending, dir);
  return dir;
}

async function dropColumn(dir: string, base?: string) {
  const r = await runCheck(dir, { analyzers: [d1Analyzer], ...(base ? { base } : {}) });
  return r.findings.filter((f) => f.rule === "d1/drop-column").map((f) => [f.severity, f.message]);
}

describe("release windows", () => {
  it("drops to info a column created and dropped by files that one commit added", async () => {
    const dir = history([
      { "migrations/0001_base.sql": BASE },
      { "migrations/0002_add.sql": ADD, "migrations/0003_drop.sql": DROP },
    ]);
    const [hit] = await dropColumn(dir);
    expect(hit?.[0]).toBe("info");
    expect(hit?.[1]).toMatch(
      /content\.parent_id was created by 0002_add\.sql in the same commit [0-9a-f]{7} as this file/,
    );
  });

  it("keeps the error when the column shipped in an earlier commit", async () => {
    const dir = history([
      { "migrations/0001_base.sql": BASE },
      { "migrations/0002_add.sql": ADD },
      { "migrations/0003_drop.sql": DROP },
    ]);
    expect((await dropColumn(dir)).map(([s]) => s)).toEqual(["error"]);
  });

  it("keeps the error when the commit brings in the folder's whole history at once", async () => {
    const dir = history([
      { "migrations/0001_base.sql": BASE, "migrations/0002_add.sql": ADD, "migrations/0003_drop.sql": DROP },
    ]);
    gitIn(dir, "commit", "-q", "--allow-empty", "-m", "later");
    expect((await dropColumn(dir)).map(([s]) => s)).toEqual(["error"]);
  });

  it("treats uncommitted files as one pending release, and files not at --base as one release", async () => {
    const pending = history([{ "migrations/0001_base.sql": BASE }], {
      "migrations/0002_add.sql": ADD,
      "migrations/0003_drop.sql": DROP,
    });
    expect((await dropColumn(pending))[0]?.[1]).toMatch(/in the same uncommitted change as this file/);
    const based = history([
      { "migrations/0001_base.sql": BASE },
      { "migrations/0002_add.sql": ADD },
      { "migrations/0003_drop.sql": DROP },
    ]);
    gitIn(based, "tag", "shipped", "HEAD~2");
    expect((await dropColumn(based, "shipped"))[0]?.[1]).toMatch(/in the same release \(not at --base shipped\)/);
  });

  it("follows renames: a column renamed and dropped later keeps its origin", async () => {
    const dir = history([
      { "migrations/0001_base.sql": BASE },
      {
        "migrations/0002_add.sql": ADD,
        "migrations/0003_rename.sql": "ALTER TABLE content RENAME COLUMN parent_id TO parent;",
        "migrations/0004_drop.sql": "ALTER TABLE content DROP COLUMN parent;",
      },
    ]);
    const r = await runCheck(dir, { analyzers: [d1Analyzer] });
    const contract = r.findings.filter((f) => f.rule === "d1/drop-column" || f.rule === "d1/rename-column");
    expect(contract.map((f) => [f.rule, f.severity])).toEqual([
      ["d1/rename-column", "info"],
      ["d1/drop-column", "info"],
    ]);
  });

  it("knows nothing outside a repository, and the root commit is no release", () => {
    const plain = writeProject({ "migrations/0001.sql": BASE });
    expect(releaseWindows(join(plain, "migrations")).of("0001.sql")).toBeUndefined();
    rmSync(plain, { recursive: true, force: true });
    const dir = history([{ "migrations/0001_base.sql": BASE, "migrations/0002_add.sql": ADD }]);
    expect(releaseWindows(join(dir, "migrations")).of("0002_add.sql")).toBeUndefined();
  });
});
