import { describe, expect, it } from "vitest";
import { checkMigrations, hits } from "../../d1/testing.js";

const T = (n: number) => `CREATE TABLE t${n} (id INTEGER);\n`;

describe("d1/duplicate-migration-number", () => {
  it("flags the second file of a shared number, with a free number in the fix", async () => {
    const r = await checkMigrations({
      "migrations/0005_a.sql": T(5),
      "migrations/0006_a.sql": T(6),
      "migrations/0006_b.sql": T(7),
    });
    expect(hits(r, "d1/duplicate-migration-number")).toEqual(["d1/duplicate-migration-number@0006_b.sql:1"]);
    expect(r.findings.find((f) => f.rule === "d1/duplicate-migration-number")?.fix).toContain("0007_b.sql");
  });
  it("does not flag distinct numbers, and honours a file's ignore", async () => {
    expect(hits(await checkMigrations({ "migrations/0001_a.sql": T(1), "migrations/0002_b.sql": T(2) }))).toEqual([]);
    const r = await checkMigrations({
      "migrations/0006_a.sql": T(6),
      "migrations/0006_b.sql": `-- blastwall-ignore-file d1/duplicate-migration-number: independent tables\n${T(7)}`,
    });
    expect(hits(r)).toEqual([]);
  });
});

describe("d1/journal-order", () => {
  const journal = (tags: string[]) =>
    JSON.stringify({ version: "7", dialect: "sqlite", entries: tags.map((tag, idx) => ({ idx, tag, when: idx })) });
  it("flags the first file where drizzle's journal and wrangler disagree", async () => {
    const r = await checkMigrations({
      "migrations/0000_init.sql": T(0),
      "migrations/0001_zebra.sql": T(1),
      "migrations/0001_apple.sql": T(2),
      "migrations/meta/_journal.json": journal(["0000_init", "0001_zebra", "0001_apple"]),
    });
    expect(hits(r, "d1/journal-order")).toEqual(["d1/journal-order@0001_apple.sql:1"]);
  });
  it("does not flag a journal in file order", async () => {
    const r = await checkMigrations({
      "migrations/0000_init.sql": T(0),
      "migrations/0001_next.sql": T(1),
      "migrations/meta/_journal.json": journal(["0000_init", "0001_next"]),
    });
    expect(hits(r, "d1/journal-order")).toEqual([]);
  });
});

describe("d1/non-migration-file", () => {
  it("flags seed and test data in the migrations folder", async () => {
    const r = await checkMigrations({
      "migrations/0001_init.sql": T(1),
      "migrations/seed.sql": "INSERT INTO t1 VALUES (1);\n",
      "migrations/0002_test_data.sql": "INSERT INTO t1 VALUES (2);\n",
    });
    expect(hits(r, "d1/non-migration-file").sort()).toEqual([
      "d1/non-migration-file@0002_test_data.sql:1",
      "d1/non-migration-file@seed.sql:1",
    ]);
  });
  it("does not flag numbered reference data or tables named after tests", async () => {
    const r = await checkMigrations({
      "migrations/0001_create_tests.sql": T(1),
      "migrations/0002_seed_roles.sql": "INSERT INTO t1 VALUES (1);\n",
    });
    expect(hits(r, "d1/non-migration-file")).toEqual([]);
  });
});

describe("d1/order-depends-on-wrangler", () => {
  it("warns when text and number order differ", async () => {
    const r = await checkMigrations({ "migrations/9_x.sql": T(9), "migrations/10_y.sql": T(10) });
    const found = r.findings.filter((f) => f.rule === "d1/order-depends-on-wrangler");
    expect(found.map((f) => [f.file, f.severity])).toEqual([["migrations/9_x.sql", "warning"]]);
  });
  it("is quiet for padded numbers", async () => {
    const r = await checkMigrations({ "migrations/0009_x.sql": T(9), "migrations/0010_y.sql": T(10) });
    expect(hits(r, "d1/order-depends-on-wrangler")).toEqual([]);
  });
});
