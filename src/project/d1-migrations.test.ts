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
    },
  }),
);

// What wrangler applies for DB (its top-level settings) and for a binding that sets nothing.
const dbListing = { dir: "/p/api/db", pattern: "*/migration.sql", order: "numeric", table: "applied" };
const defaults = { dir: "/p/api/migrations", order: "lexical" };

describe("bindingMigrations", () => {
  it("lists a top-level binding's folder, pattern and table as wrangler reads them", () => {
    const [db, logs] = config.d1_databases;
    expect(db && bindingMigrations(config, db, "lexical")).toEqual(dbListing);
    expect(logs && bindingMigrations(config, logs, "lexical")).toEqual(defaults);
  });

  it("gives an environment's entry the top-level entry's migrations settings it leaves out", () => {
    const [staging, other] = config.env.staging?.d1_databases ?? [];
    expect(staging && bindingMigrations(config, staging, "lexical")).toEqual(dbListing);
    // No top-level entry of that binding: wrangler's defaults.
    expect(other && bindingMigrations(config, other, "lexical")).toEqual(defaults);
  });

  it("refuses a top-level pattern that does not start with the environment's own migrations_dir", () => {
    const [own] = config.env.own?.d1_databases ?? [];
    expect(() => own && bindingMigrations(config, own, "lexical")).toThrow(
      /migrations_pattern "db\/\*\/migration.sql" must start with migrations_dir \("staging-db\/"\)/,
    );
  });
});
