import { describe, expect, it } from "vitest";
import {
  type BlastWindowInput,
  decideBlastWindow,
  type PendingD1Migration,
  pendingDoMigrations,
} from "./blast-window.js";
import { classifyMigration } from "./classify-migration.js";

function mig(name: string, sql: string): PendingD1Migration {
  const c = classifyMigration(sql);
  return {
    database: "shop",
    name,
    file: `migrations/${name}`,
    class: c.class,
    statements: c.statements,
    dir: "migrations",
  };
}

const expand = mig("0004_add_note.sql", "ALTER TABLE orders ADD COLUMN note TEXT;");
const contract = mig("0005_drop_legacy.sql", "ALTER TABLE orders DROP COLUMN legacy;");
const base: BlastWindowInput = {
  worker: "shop-api",
  code: { changed: true, detail: "bundle 3fa2c1d0 ≠ in force 9b1e7a44" },
  d1: [],
  durableObjects: [],
  inForceAt100Seconds: 7200,
  soakSeconds: 1800,
};

describe("decideBlastWindow", () => {
  it("lets code with expand migrations go, migrations first", () => {
    const v = decideBlastWindow({ ...base, d1: [expand] });
    expect(v.verdict).toBe("go");
    expect(v.migrations).toEqual([
      { database: "shop", name: "0004_add_note.sql", class: "expand", when: "before-code" },
    ]);
  });

  it("refuses a contract migration with a code change and prints the split", () => {
    const v = decideBlastWindow({ ...base, d1: [expand, contract] });
    expect(v.verdict).toBe("refuse");
    expect(v.reasons[0]).toContain(
      "migrations/0005_drop_legacy.sql (contract: ALTER TABLE orders DROP COLUMN legacy… at line 1)",
    );
    expect(v.reasons[0]).toContain("changes code (bundle 3fa2c1d0 ≠ in force 9b1e7a44)");
    expect(v.split).toHaveLength(2);
    expect(v.split[0]).toContain(
      "with the expand migrations 0004_add_note.sql; move 0005_drop_legacy.sql out of migrations",
    );
    expect(v.split[1]).toContain("once release 1 has served 100% for 30 min");
  });

  it("lets the contract migration go alone once the code in force has soaked", () => {
    const v = decideBlastWindow({ ...base, code: { changed: false, detail: "same bundle" }, d1: [contract] });
    expect(v.verdict).toBe("go");
    expect(v.reasons[0]).toContain("has served 100% for 120 min ≥ soak 30 min");
  });

  it("makes a data-only release wait for the soak", () => {
    const v = decideBlastWindow({
      ...base,
      code: { changed: false, detail: "same bundle" },
      d1: [contract],
      inForceAt100Seconds: 600,
    });
    expect(v.verdict).toBe("refuse");
    expect(v.split[0]).toBe("wait 20 min more at 100%, then run `blastwall release --worker shop-api` again");
  });

  it("an override with a reason lets it go, irreversible migrations after promotion", () => {
    const v = decideBlastWindow({ ...base, d1: [expand, contract], override: "hotfix, column unused since v41" });
    expect(v.verdict).toBe("go");
    expect(v.overridden).toBe(true);
    expect(v.migrations.map((m) => m.when)).toEqual(["before-code", "after-promotion"]);
  });

  it("treats Durable Object deletes and renames as irreversible", () => {
    const pending = pendingDoMigrations(
      [
        { tag: "v1", new_sqlite_classes: ["Cart"] },
        { tag: "v2", renamed_classes: [{ from: "Cart", to: "Basket" }] },
      ],
      "v1",
    );
    expect(pending).toEqual([{ tag: "v2", added: [], irreversible: ["renames class Cart → Basket"] }]);
    const v = decideBlastWindow({ ...base, durableObjects: pending });
    expect(v.verdict).toBe("refuse");
    expect(v.split[0]).toContain("leave Durable Object migration v2 out of the wrangler config");
    expect(pendingDoMigrations([{ tag: "v1", new_sqlite_classes: ["Cart"] }], undefined)[0]?.added).toEqual(["Cart"]);
  });
});
