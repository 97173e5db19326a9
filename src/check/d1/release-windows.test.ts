import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
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

  it("reads a first commit of a few migrations as the app's first release", async () => {
    const dir = history([
      { "migrations/0001_base.sql": BASE, "migrations/0002_add.sql": ADD, "migrations/0003_drop.sql": DROP },
    ]);
    gitIn(dir, "commit", "-q", "--allow-empty", "-m", "later");
    const [hit] = await dropColumn(dir);
    expect(hit?.[0]).toBe("info");
    expect(hit?.[1]).toMatch(/the same commit [0-9a-f]{7} \(the folder's first, read as the app's first release\)/);
  });

  it("keeps the error when the first commit brings in a longer history at once", async () => {
    const filler = Object.fromEntries(
      [4, 5, 6].map((n) => [`migrations/000${n}_t${n}.sql`, `CREATE TABLE t${n} (id INTEGER PRIMARY KEY);`]),
    );
    const dir = history([
      { "migrations/0001_base.sql": BASE, "migrations/0002_add.sql": ADD, "migrations/0003_drop.sql": DROP, ...filler },
    ]);
    gitIn(dir, "commit", "-q", "--allow-empty", "-m", "later");
    expect((await dropColumn(dir)).map(([s]) => s)).toEqual(["error"]);
  });

  it("keeps the error past a shallow clone's boundary, whose files were added anywhere before it", async () => {
    const dir = history([
      { "migrations/0001_base.sql": BASE },
      { "migrations/0002_add.sql": ADD },
      { "migrations/0003_drop.sql": DROP },
    ]);
    const shallow = mkdtempSync(join(tmpdir(), "bw-shallow-"));
    gitIn(shallow, "clone", "-q", "--depth", "1", `file://${dir}`, ".");
    expect((await dropColumn(shallow)).map(([s]) => s)).toEqual(["error"]);
    rmSync(shallow, { recursive: true, force: true });
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

  it("knows nothing outside a repository, or of a folder with many files that is new since --base", () => {
    const plain = writeProject({ "migrations/0001.sql": BASE });
    expect(releaseWindows(join(plain, "migrations")).of("0001.sql")).toBeUndefined();
    rmSync(plain, { recursive: true, force: true });
    const files = Object.fromEntries(
      [1, 2, 3, 4, 5, 6].map((n) => [`migrations/000${n}.sql`, `CREATE TABLE t${n} (id INTEGER PRIMARY KEY);`]),
    );
    const dir = history([{ "README.md": "app" }, files]);
    const windows = releaseWindows(join(dir, "migrations"), { base: "HEAD~1" });
    expect(windows.of("0006.sql")).toBeUndefined();
  });

  it("drops row findings on a table the same release created and seeded, not on one filled from another", async () => {
    const seed = "DELETE FROM services;\nINSERT INTO services (id, name) VALUES (1, 'cut');";
    const create = "CREATE TABLE services (id INTEGER PRIMARY KEY, name TEXT);";
    const unbounded = async (dir: string) =>
      (await runCheck(dir, { analyzers: [d1Analyzer] })).findings
        .filter((f) => f.rule === "d1/unbounded-write")
        .map((f) => [f.severity, f.message]);
    const seeded = history([{ "migrations/0001_init.sql": create, "migrations/0002_seed.sql": seed }]);
    const [hit] = await unbounded(seeded);
    expect(hit?.[0]).toBe("info");
    expect(hit?.[1]).toMatch(/took no rows from another table, so it holds only rows this release wrote/);
    const filled = history([
      { "migrations/0001_old.sql": "CREATE TABLE legacy (id INTEGER PRIMARY KEY, name TEXT);" },
      {
        "migrations/0002_init.sql": `${create}\nINSERT INTO services (id, name) SELECT id, name FROM legacy;`,
        "migrations/0003_seed.sql": seed,
      },
    ]);
    expect((await unbounded(filled)).map(([s]) => s)).toEqual(["error"]);
  });
});
