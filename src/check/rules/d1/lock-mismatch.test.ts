import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { d1Analyzer } from "../../d1/analyzer.js";
import { writeLock } from "../../d1/lock.js";
import { hits, writeProject } from "../../d1/testing.js";
import { runCheck } from "../../run-check.js";

function lockedProject(): string {
  const dir = writeProject({
    "migrations/0001_a.sql": "CREATE TABLE a (x);",
    "migrations/0002_b.sql": "CREATE TABLE b (x);",
    "migrations/0003_c.sql": "CREATE TABLE c (x);",
  });
  const m = join(dir, "migrations");
  writeLock(
    m,
    ["0001_a.sql", "0002_b.sql", "0003_c.sql"].map((name) => ({ name, content: readFileSync(join(m, name)) })),
  );
  return dir;
}
const check = (dir: string) => runCheck(dir, { analyzers: [d1Analyzer] });

describe("d1/lock-mismatch", () => {
  it("reports an edited locked migration by name", async () => {
    const dir = lockedProject();
    writeFileSync(join(dir, "migrations/0002_b.sql"), "CREATE TABLE b (x, y);");
    expect(hits(await check(dir), "d1/lock-mismatch")).toEqual(["d1/lock-mismatch@0002_b.sql:1"]);
  });
  it("reports a removed locked migration at its line in migrations.lock", async () => {
    const dir = lockedProject();
    rmSync(join(dir, "migrations/0003_c.sql"));
    expect(hits(await check(dir), "d1/lock-mismatch")).toEqual(["d1/lock-mismatch@migrations.lock:6"]);
  });
  it("reports migrations that now apply in a different order than locked", async () => {
    const dir = lockedProject();
    const m = join(dir, "migrations");
    // Locked when 0003 came before 0002 (e.g. both had been numbered 0002 and sorted by name).
    writeLock(
      m,
      ["0001_a.sql", "0003_c.sql", "0002_b.sql"].map((name) => ({ name, content: readFileSync(join(m, name)) })),
    );
    expect(hits(await check(dir), "d1/lock-mismatch")).toEqual(["d1/lock-mismatch@0002_b.sql:1"]);
  });
  it("passes an untouched history plus a new, later migration", async () => {
    const dir = lockedProject();
    writeFileSync(join(dir, "migrations/0004_d.sql"), "CREATE TABLE d (x);");
    expect((await check(dir)).findings).toEqual([]);
  });
  it("refuses a malformed lock file as unusable input naming the line", async () => {
    const dir = lockedProject();
    writeFileSync(join(dir, "migrations/migrations.lock"), "0001_a.sql sha256:nothex\n");
    await expect(check(dir)).rejects.toMatchObject({
      kind: "input",
      location: { file: "migrations/migrations.lock", line: 1 },
    });
  });
});
