import { describe, expect, it } from "vitest";
import { bindingMigrations } from "./d1-migrations.js";
import { parseWranglerConfig } from "./wrangler-config.js";

const config = parseWranglerConfig(
  "/p/api/wrangler.jsonc",
  JSON.stringify({
    name: "api",
    d1_databases: [
      {
        binding: "DB",
        migrations_dir: "db",
        migrations_pattern: "db/*/migration.sql",
        migrations_table: "applied",
      },
      { binding: "LOGS" },
    ],
    env: {
      staging: { d1_databases: [{ binding: "DB", database_name: "shop-staging" }, { binding: "OTHER" }] },
      own: { d1_databases: [{ binding: "DB", migrations_dir: "staging-db" }] },
      bad: { d1_databases: [{ binding: "DB", migrations_pattern: "db/*/migration.sql" }] },
    },
  }),
);

// What wrangler applies for DB (its top-level settings) and for an entry that sets nothing (top level or env).
const dbListing = { dir: "/p/api/db", pattern: "*/migration.sql", order: "numeric", table: "applied" };
const defaults = { dir: "/p/api/migrations", order: "lexical" };

describe("bindingMigrations", () => {
  it("lists a top-level binding's folder, pattern and table as wrangler reads them", () => {
    const [db, logs] = config.d1_databases;
    expect(db && bindingMigrations(config, db, "lexical")).toEqual(dbListing);
    expect(logs && bindingMigrations(config, logs, "lexical")).toEqual(defaults);
  });

  it("reads an environment's entry on its own: wrangler does not inherit d1_databases", () => {
    const [staging, other] = config.env.staging?.d1_databases ?? [];
    expect(staging && bindingMigrations(config, staging, "lexical")).toEqual(defaults);
    expect(other && bindingMigrations(config, other, "lexical")).toEqual(defaults);
    const [own] = config.env.own?.d1_databases ?? [];
    expect(own && bindingMigrations(config, own, "lexical")).toEqual({ dir: "/p/api/staging-db", order: "lexical" });
  });

  it("refuses an environment's pattern without its own migrations_dir, at that entry's line", () => {
    const [bad] = config.env.bad?.d1_databases ?? [];
    expect(() => bad && bindingMigrations(config, bad, "lexical")).toThrow(
      /migrations_pattern "db\/\*\/migration.sql" must start with migrations_dir, which is not set/,
    );
  });
});
