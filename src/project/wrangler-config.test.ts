import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BlastwallError } from "../core/errors.js";
import { findWranglerConfigs, loadProject } from "./discover.js";
import { loadWranglerConfig } from "./wrangler-config.js";

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "bw-config-"));
}

describe("wrangler config loading", () => {
  it("reads toml, json and jsonc into one model", () => {
    const dir = tmp();
    writeFileSync(
      join(dir, "wrangler.toml"),
      `name = "a"\nmain = "src/index.ts"\n[[d1_databases]]\nbinding = "DB"\nmigrations_dir = "db"\n[[queues.consumers]]\nqueue = "q"\nmax_retries = 3\n[env.staging]\nname = "a-staging"\n`,
    );
    const toml = loadWranglerConfig(join(dir, "wrangler.toml"));
    expect(toml.d1_databases[0]?.migrations_dir).toBe("db");
    expect(toml.queues.consumers[0]).toMatchObject({ queue: "q", max_retries: 3 });
    expect(toml.env.staging?.name).toBe("a-staging");
    expect(toml.locate(["queues", "consumers", 0, "max_retries"])?.line).toBe(8);

    writeFileSync(
      join(dir, "wrangler.jsonc"),
      `{\n  // comment\n  "name": "b",\n  "kv_namespaces": [{ "binding": "KV", "id": "x" },],\n}\n`,
    );
    const jsonc = loadWranglerConfig(join(dir, "wrangler.jsonc"));
    expect(jsonc.kv_namespaces).toEqual([{ binding: "KV", id: "x" }]);
    expect(jsonc.locate(["kv_namespaces", 0, "binding"])).toEqual({ line: 4, column: 23 });
  });

  it("names the file, line and column of a TOML syntax error", () => {
    const dir = tmp();
    const file = join(dir, "wrangler.toml");
    writeFileSync(file, `name = "a"\nmain = [1,\n`);
    try {
      loadWranglerConfig(file);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(BlastwallError);
      const e = err as BlastwallError;
      expect(e.location?.file).toBe(file);
      expect(e.location?.line).toBe(3);
      expect(e.kind).toBe("input");
      expect(e.fix).toBeTruthy();
    }
  });

  it("names the file, line and column of a JSONC syntax error", () => {
    const dir = tmp();
    const file = join(dir, "wrangler.jsonc");
    writeFileSync(file, `{\n  "name": "a",\n  "main": ,\n}\n`);
    expect(() => loadWranglerConfig(file)).toThrow(BlastwallError);
    try {
      loadWranglerConfig(file);
    } catch (err) {
      expect((err as BlastwallError).location).toEqual({ file, line: 3, column: 11 });
    }
  });

  it("finds every Worker in a project without following symlink loops", () => {
    const dir = tmp();
    mkdirSync(join(dir, "api"));
    mkdirSync(join(dir, "consumer"));
    mkdirSync(join(dir, "node_modules", "x"), { recursive: true });
    writeFileSync(join(dir, "api", "wrangler.jsonc"), `{"name":"api"}`);
    writeFileSync(join(dir, "consumer", "wrangler.toml"), `name = "consumer"`);
    writeFileSync(join(dir, "node_modules", "x", "wrangler.toml"), `name = "ignored"`);
    symlinkSync(dir, join(dir, "api", "loop"));
    expect(findWranglerConfigs(dir).map((p) => p.slice(dir.length))).toEqual([
      "/api/wrangler.jsonc",
      "/consumer/wrangler.toml",
    ]);
    expect(loadProject(dir).workers.map((w) => w.name)).toEqual(["api", "consumer"]);
  });

  it("finds a Worker however deep it sits, so none is skipped without a word", () => {
    const dir = tmp();
    const deep = join(dir, "apps", "a", "b", "c", "d", "e", "f", "worker");
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(deep, "wrangler.toml"), `name = "deep"`);
    expect(findWranglerConfigs(dir).map((p) => p.slice(dir.length))).toEqual([
      "/apps/a/b/c/d/e/f/worker/wrangler.toml",
    ]);
    expect(findWranglerConfigs(dir, { maxDepth: 2 })).toEqual([]);
  });

  it("fails with exit 2 when a folder holds no config", () => {
    expect(() => loadProject(tmp())).toThrow(/no wrangler.toml/);
  });
});

describe("TOML key locations", () => {
  it("finds keys under arrays of tables, env sections and inline tables", () => {
    const dir = tmp();
    const file = join(dir, "wrangler.toml");
    writeFileSync(
      file,
      [
        'name = "a"', // 1
        "[[migrations]]", // 2
        'tag = "v1"', // 3
        'new_sqlite_classes = ["Room"]', // 4
        "[[migrations]]", // 5
        'tag = "v2"', // 6
        'deleted_classes = ["Old"]', // 7
        "[durable_objects]", // 8
        "bindings = [", // 9
        '  { name = "ROOMS", class_name = "Room" },', // 10
        '  { name = "OLD", class_name = "Old" },', // 11
        "]", // 12
        "[[env.staging.migrations]]", // 13
        'tag = "v1"', // 14
        "[env.staging]", // 15
        'compatibility_date = "2024-01-01"', // 16
      ].join("\n"),
    );
    const cfg = loadWranglerConfig(file);
    expect(cfg.locate(["migrations", 1, "deleted_classes"])?.line).toBe(7);
    expect(cfg.locate(["migrations", 1])?.line).toBe(5);
    expect(cfg.locate(["migrations", 0, "renamed_classes"])?.line).toBe(2);
    expect(cfg.locate(["durable_objects", "bindings", 1, "class_name"])).toEqual({ line: 11, column: 19 });
    expect(cfg.locate(["env", "staging", "migrations", 0, "tag"])?.line).toBe(14);
    expect(cfg.locate(["env", "staging", "compatibility_date"])?.line).toBe(16);
  });

  it("leaves a multi-line array when its bracket closes on an element's line", () => {
    const dir = tmp();
    const file = join(dir, "wrangler.toml");
    writeFileSync(
      file,
      [
        'name = "a"', // 1
        "[[migrations]]", // 2
        'tag = "v1"', // 3
        "new_classes = [", // 4
        '  "Room", # a comment with ] in it', // 5
        '  "Lobby"]', // 6
        "[[migrations]]", // 7
        'tag = "v2"', // 8
        'renamed_classes = [{ from = "Room", to = "Hall" },', // 9
        '  { from = "Lobby", to = "Hub" }]', // 10
        'deleted_classes = ["X"]', // 11
      ].join("\n"),
    );
    const cfg = loadWranglerConfig(file);
    expect(cfg.locate(["migrations", 1, "tag"])?.line).toBe(8);
    expect(cfg.locate(["migrations", 1, "renamed_classes", 1, "to"])).toEqual({ line: 10, column: 21 });
    expect(cfg.locate(["migrations", 1, "renamed_classes", 0, "to"])).toEqual({ line: 9, column: 37 });
    expect(cfg.locate(["migrations", 1, "deleted_classes"])?.line).toBe(11);
  });
});
