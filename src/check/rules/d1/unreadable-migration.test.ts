import { describe, expect, it } from "vitest";
import { BASE_MIGRATION, checkMigrations, hits } from "../../d1/testing.js";

describe("d1/unreadable-migration", () => {
  it("reports binary and non-UTF-8 files by name instead of crashing", async () => {
    const r = await checkMigrations({
      "migrations/0001.sql": BASE_MIGRATION,
      "migrations/0002_logo.sql": Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x00, 0x1a]),
      "migrations/0003_latin1.sql": Buffer.from("INSERT INTO orders (status) VALUES ('caf\xe9');", "latin1"),
    });
    expect(hits(r, "d1/unreadable-migration")).toEqual([
      "d1/unreadable-migration@0002_logo.sql:1",
      "d1/unreadable-migration@0003_latin1.sql:1",
    ]);
    expect(r.findings.find((f) => f.file.endsWith("0002_logo.sql"))?.message).toContain("binary");
  });
  it("does not flag UTF-8 text with a BOM or non-ASCII", async () => {
    const r = await checkMigrations({ "migrations/0001.sql": "\ufeffCREATE TABLE café (naïve TEXT);" });
    expect(r.findings).toEqual([]);
  });
});
