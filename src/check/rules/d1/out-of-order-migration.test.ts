import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { d1Analyzer } from "../../d1/analyzer.js";
import { writeLock } from "../../d1/lock.js";
import { hits, writeProject } from "../../d1/testing.js";
import { runCheck } from "../../run-check.js";

describe("d1/out-of-order-migration", () => {
  const project = () => {
    const dir = writeProject({
      "migrations/0001_a.sql": "CREATE TABLE a (x);",
      "migrations/0005_b.sql": "CREATE TABLE b (x);",
    });
    const m = join(dir, "migrations");
    writeLock(
      m,
      ["0001_a.sql", "0005_b.sql"].map((name) => ({ name, content: readFileSync(join(m, name)) })),
    );
    return dir;
  };
  it("reports a new file numbered below the latest locked one, and proposes the next number", async () => {
    const dir = project();
    writeFileSync(join(dir, "migrations/0003_late.sql"), "CREATE TABLE late (x);");
    const r = await runCheck(dir, { analyzers: [d1Analyzer] });
    expect(hits(r, "d1/out-of-order-migration")).toEqual(["d1/out-of-order-migration@0003_late.sql:1"]);
    expect(r.findings[0]?.fix).toContain("0006_late.sql");
  });
  it("does not report a new file numbered after the latest locked one", async () => {
    const dir = project();
    writeFileSync(join(dir, "migrations/0006_next.sql"), "CREATE TABLE n (x);");
    expect((await runCheck(dir, { analyzers: [d1Analyzer] })).findings).toEqual([]);
  });
});
