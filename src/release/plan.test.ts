import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { MemoryPlatform } from "../../test/release/memory-platform.js";
import { classifyFolder } from "../check/d1/folder-classes.js";
import { resolveWorkerConfig } from "../project/blastwall-config.js";
import { loadWranglerConfig } from "../project/wrangler-config.js";
import { gatherPlan, pendingD1 } from "./plan.js";
import { formatMark, formatVersionMessage } from "./state.js";

// A pass-through spy: the tests below count the replays plan runs.
vi.mock("../check/d1/folder-classes.js", async (original) => {
  const actual = await original<typeof import("../check/d1/folder-classes.js")>();
  return { ...actual, classifyFolder: vi.fn(actual.classifyFolder) };
});

const wrangler = loadWranglerConfig("examples/shop/api/wrangler.jsonc");
const config = resolveWorkerConfig({}, "shop-api", wrangler);
const FILES = [
  "0001_create_orders.sql",
  "0002_create_order_items.sql",
  "0003_create_processed_events.sql",
  "0004_add_orders_item_count.sql",
];

describe("gatherPlan", () => {
  it("reads the version in force, pending migrations and the code change from the platform", async () => {
    const now = new Date("2026-11-26T12:00:00Z");
    const p = new MemoryPlatform(new Date("2026-11-26T10:00:00Z"), { shop: FILES });
    p.applied.add(FILES[0] ?? "");
    const v1 = await p.uploadVersion({
      worker: "shop-api",
      configPath: wrangler.path,
      message: formatVersionMessage("r-1", "abcdef0123456789"),
    });
    await p.deploy("shop-api", [{ versionId: v1.id, percentage: 100 }], {
      message: formatMark({ release: "r-1", phase: "promoted", candidate: v1.id }),
    });
    const plan = await gatherPlan({
      platform: p,
      projectDir: "examples/shop",
      wrangler,
      config,
      bundleHash: "fedcba9876543210ff",
      now,
    });
    expect(plan.inForce?.split).toEqual([{ versionId: v1.id, percentage: 100, bundle: "abcdef0123456789" }]);
    expect(plan.inForce?.at100Seconds).toBe(7200);
    expect(plan.code).toEqual({ changed: true, detail: "bundle fedcba98 ≠ in force abcdef01" });
    expect(plan.d1.map((m) => [m.name, m.class, m.file])).toEqual([
      ["0002_create_order_items.sql", "expand", "migrations/0002_create_order_items.sql"],
      ["0003_create_processed_events.sql", "expand", "migrations/0003_create_processed_events.sql"],
      ["0004_add_orders_item_count.sql", "expand", "migrations/0004_add_orders_item_count.sql"],
    ]);
    // The memory platform cannot say which DO migration tag it applied: plan says so instead of guessing.
    expect(plan.durableObjectTag.known).toBe(false);
    expect(plan.blastWindow.verdict).toBe("go");
    expect(plan.start).toEqual({ kind: "fresh", stable: v1.id });
  });

  it("lists every Durable Object migration as pending on a Worker never deployed", async () => {
    const p = new MemoryPlatform(new Date(), { shop: FILES });
    const plan = await gatherPlan({ platform: p, projectDir: "examples/shop", wrangler, config, bundleHash: "aa" });
    expect(plan.durableObjects).toEqual([
      { tag: "v1", added: ["Cart"], irreversible: [] },
      { tag: "v2", added: ["BlastwallOpsFlags"], irreversible: [] },
    ]);
    expect(plan.code.detail).toBe("first deployment, bundle aa");
  });
});

describe("pendingD1", () => {
  it("lists a migrations_pattern layout as wrangler does (one folder per migration, numeric order)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bw-plan-pattern-"));
    for (const [name, sql] of [
      ["1_init", "CREATE TABLE notes (id INTEGER PRIMARY KEY);"],
      ["2_body", "ALTER TABLE notes ADD COLUMN body TEXT;"],
      ["10_drop", "ALTER TABLE notes DROP COLUMN body;"],
    ] as const) {
      mkdirSync(join(dir, "db", name), { recursive: true });
      writeFileSync(join(dir, "db", name, "migration.sql"), sql);
    }
    writeFileSync(join(dir, "db", "seed.sql"), "INSERT INTO notes (id) VALUES (1);");
    writeFileSync(
      join(dir, "wrangler.jsonc"),
      JSON.stringify({
        name: "notes",
        d1_databases: [
          { binding: "DB", database_name: "notes", migrations_dir: "db", migrations_pattern: "db/*/migration.sql" },
        ],
      }),
    );
    const p = new MemoryPlatform(new Date("2026-11-26T10:00:00Z"), {
      notes: ["1_init/migration.sql", "2_body/migration.sql", "10_drop/migration.sql"],
    });
    p.applied.add("1_init/migration.sql");
    const pending = await pendingD1(p, dir, loadWranglerConfig(join(dir, "wrangler.jsonc")));
    expect(pending.map((m) => [m.name, m.class])).toEqual([
      ["2_body/migration.sql", "expand"],
      ["10_drop/migration.sql", "contract"],
    ]);
  });

  it("judges pending files by check's replay, and falls back to the stricter class where the replay fails", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bw-plan-replay-"));
    const files: Record<string, string> = {
      "0001_init.sql": "CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT);",
      // drizzle's rebuild for a new default: statement rules see DROP TABLE and RENAME; every row and column stays.
      "0002_default.sql": `CREATE TABLE __new_posts (id INTEGER PRIMARY KEY, title TEXT DEFAULT 'untitled');
INSERT INTO __new_posts (id, title) SELECT id, title FROM posts;
DROP TABLE posts;
ALTER TABLE __new_posts RENAME TO posts;`,
      // A table made outside the migrations: the replay cannot run it, so the statement rules decide.
      "0003_drop_legacy.sql": "DROP TABLE legacy_sessions;",
    };
    mkdirSync(join(dir, "migrations"));
    for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, "migrations", name), sql);
    writeFileSync(
      join(dir, "wrangler.jsonc"),
      JSON.stringify({ name: "blog", d1_databases: [{ binding: "DB", database_name: "blog" }] }),
    );
    const p = new MemoryPlatform(new Date("2026-11-26T10:00:00Z"), { blog: Object.keys(files) });
    p.applied.add("0001_init.sql");
    const pending = await pendingD1(p, dir, loadWranglerConfig(join(dir, "wrangler.jsonc")));
    expect(pending.map((m) => [m.name, m.class])).toEqual([
      ["0002_default.sql", "expand"],
      ["0003_drop_legacy.sql", "contract"],
    ]);
  });

  it("does not replay a folder whose migrations are all applied", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bw-plan-applied-"));
    mkdirSync(join(dir, "migrations"));
    writeFileSync(join(dir, "migrations", "0001_init.sql"), "CREATE TABLE posts (id INTEGER PRIMARY KEY);");
    writeFileSync(
      join(dir, "wrangler.jsonc"),
      JSON.stringify({ name: "blog", d1_databases: [{ binding: "DB", database_name: "blog" }] }),
    );
    const p = new MemoryPlatform(new Date("2026-11-26T10:00:00Z"), { blog: ["0001_init.sql"] });
    p.applied.add("0001_init.sql");
    const replays = vi.mocked(classifyFolder).mock.calls.length;
    expect(await pendingD1(p, dir, loadWranglerConfig(join(dir, "wrangler.jsonc")))).toEqual([]);
    expect(vi.mocked(classifyFolder).mock.calls.length).toBe(replays);
    writeFileSync(join(dir, "migrations", "0002_title.sql"), "ALTER TABLE posts ADD COLUMN title TEXT;");
    const p2 = new MemoryPlatform(new Date("2026-11-26T10:00:00Z"), { blog: ["0001_init.sql", "0002_title.sql"] });
    p2.applied.add("0001_init.sql");
    const pending = await pendingD1(p2, dir, loadWranglerConfig(join(dir, "wrangler.jsonc")));
    expect(pending.map((m) => m.name)).toEqual(["0002_title.sql"]);
    expect(vi.mocked(classifyFolder).mock.calls.length).toBe(replays + 1);
  });
});
