import { describe, expect, it } from "vitest";
import { checkMigrations, hits } from "./testing.js";

const DRIZZLE_CONFIG = `import { defineConfig } from "drizzle-kit";
export default defineConfig({
  schema: "./src/schema.ts",
  out: "./drizzle",
  dialect: "sqlite",
  driver: "d1-http",
});
`;

const BASE = `CREATE TABLE \`orders\` (
\t\`id\` integer PRIMARY KEY NOT NULL,
\t\`status\` text,
\t\`total\` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE \`order_items\` (\`id\` integer PRIMARY KEY NOT NULL, \`order_id\` integer NOT NULL, \`sku\` text);`;

describe("a drizzle folder as the base of a wrangler migrations folder", () => {
  it("reads the drizzle-kit folder that creates the tables the history uses, and judges the history on it", async () => {
    const result = await checkMigrations({
      "packages/db/drizzle.config.ts": DRIZZLE_CONFIG,
      "packages/db/drizzle/0000_init.sql": BASE,
      "packages/db/drizzle/0001_broken.sql": "ALTER TABLE nowhere ADD COLUMN x TEXT;",
      "migrations/0001_add_note.sql": "ALTER TABLE orders ADD COLUMN note TEXT;",
      "migrations/0002_drop_total.sql": "ALTER TABLE orders DROP COLUMN total;",
    });
    expect(hits(result, "d1/missing-base-schema")).toEqual(["d1/missing-base-schema@drizzle.config.ts:1"]);
    const info = result.findings.find((f) => f.rule === "d1/missing-base-schema");
    expect(info?.severity).toBe("info");
    expect(info?.file).toBe("packages/db/drizzle.config.ts");
    expect(info?.message).toContain(
      "they come from packages/db/drizzle/ (drizzle-kit migrate applies it to the database, driver d1-http)",
    );
    expect(info?.message).toContain("0001_broken.sql (no such table: nowhere)");
    expect(hits(result, "d1/drop-column")).toEqual(["d1/drop-column@0002_drop_total.sql:1"]);
  });

  it("names the drizzle folder but reads the history without it when the two overlap", async () => {
    const result = await checkMigrations({
      "packages/db/drizzle.config.ts": DRIZZLE_CONFIG,
      "packages/db/drizzle/0000_init.sql": BASE,
      "migrations/0001_add_status.sql": "ALTER TABLE orders ADD COLUMN status TEXT;",
    });
    const found = result.findings
      .filter((f) => f.rule === "d1/missing-base-schema")
      .sort((a, b) => a.severity.localeCompare(b.severity));
    expect(found.map((f) => [f.file, f.severity])).toEqual([
      ["packages/db/drizzle.config.ts", "info"],
      ["migrations/0001_add_status.sql", "warning"],
    ]);
    expect(found[0]?.message).toContain("duplicate column name: status");
    expect(found[1]?.message).toContain("packages/db/drizzle/ (packages/db/drizzle.config.ts) creates it");
    expect(hits(result, "d1/sql-error")).toEqual([]);
  });

  it("keeps d1/missing-base-schema when no drizzle folder creates the missing table", async () => {
    const result = await checkMigrations({
      "packages/db/drizzle.config.ts": DRIZZLE_CONFIG,
      "packages/db/drizzle/0000_init.sql": "CREATE TABLE `other` (`id` integer PRIMARY KEY);",
      "migrations/0001_add_note.sql": "ALTER TABLE orders ADD COLUMN note TEXT;",
    });
    expect(hits(result, "d1/missing-base-schema")).toEqual(["d1/missing-base-schema@0001_add_note.sql:1"]);
  });

  it("does not read a drizzle base when the history creates its own tables", async () => {
    const result = await checkMigrations({
      "packages/db/drizzle.config.ts": DRIZZLE_CONFIG,
      "packages/db/drizzle/0000_init.sql": BASE,
      "migrations/0001_init.sql": "CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT);",
      "migrations/0002_add.sql": "ALTER TABLE orders ADD COLUMN note TEXT;",
    });
    expect(result.findings.filter((f) => f.rule === "d1/missing-base-schema" || f.rule === "d1/sql-error")).toEqual([]);
  });
});
