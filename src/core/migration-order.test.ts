import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { wranglerVersionFor, wranglerVersionOfBin } from "../project/wrangler-version.js";
import { migrationOrderOf, ordersDisagree, sortMigrations } from "./migration-order.js";

const TRICKY = [
  "9_x.sql",
  "10_y.sql",
  "0006_b.sql",
  "0006_a.sql",
  "1_a.sql",
  "01_z.sql",
  "0006-dash.sql",
  "b_plain.sql",
  "A_upper.sql",
  "0002_é.sql",
];

describe("migration order", () => {
  it("picks the order by wrangler release", () => {
    expect(migrationOrderOf("4.79.9")).toBe("lexical");
    expect(migrationOrderOf("4.86.0")).toBe("lexical");
    expect(migrationOrderOf("4.97.3")).toBe("lexical");
    expect(migrationOrderOf("4.98.0")).toBe("numeric");
    expect(migrationOrderOf("5.0.0-beta.1")).toBe("numeric");
    expect(migrationOrderOf(undefined)).toBe("numeric");
    expect(migrationOrderOf("not a version")).toBe("numeric");
  });

  it("sorts by the leading number per path segment from wrangler 4.98, numbered before unnumbered", () => {
    expect(sortMigrations(TRICKY, { order: "numeric" })).toEqual([
      "01_z.sql",
      "1_a.sql",
      "0002_é.sql",
      "0006-dash.sql",
      "0006_a.sql",
      "0006_b.sql",
      "9_x.sql",
      "10_y.sql",
      "A_upper.sql",
      "b_plain.sql",
    ]);
    expect(
      sortMigrations(["0002_b/migration.sql", "0001_a/10_c.sql", "0001_a/9_b.sql", "0001_a/migration.sql"], {
        order: "numeric",
      }),
    ).toEqual(["0001_a/9_b.sql", "0001_a/10_c.sql", "0001_a/migration.sql", "0002_b/migration.sql"]);
  });

  it("sorts as plain strings before wrangler 4.98", () => {
    expect(sortMigrations(["9_x.sql", "10_y.sql", "b.sql", "A.sql"], { order: "lexical" })).toEqual([
      "10_y.sql",
      "9_x.sql",
      "A.sql",
      "b.sql",
    ]);
  });

  it("says when the two orders disagree", () => {
    expect(ordersDisagree(["9_x.sql", "10_y.sql"])).toBe(true);
    expect(ordersDisagree(["0009_x.sql", "0010_y.sql", "0010_z.sql"])).toBe(false);
  });
});

/** Rows of wrangler's `d1 migrations list` table, in the order it prints them. */
function listedNames(stdout: string): string[] {
  return [...stdout.matchAll(/^│ (\S.*?\.sql) *│$/gm)].map((m) => m[1] ?? "");
}

describe("migration order against the real wrangler", () => {
  it("lists tricky names exactly as the installed wrangler does", () => {
    const root = mkdtempSync(join(tmpdir(), "blastwall-order-"));
    try {
      mkdirSync(join(root, "migrations"));
      TRICKY.forEach((name, i) => {
        writeFileSync(join(root, "migrations", name), `CREATE TABLE t${i} (id INTEGER);\n`);
      });
      writeFileSync(join(root, "index.js"), "export default {};\n");
      writeFileSync(
        join(root, "wrangler.json"),
        JSON.stringify({
          name: "order",
          main: "index.js",
          compatibility_date: "2026-04-01",
          d1_databases: [{ binding: "DB", database_name: "db", database_id: "00000000-0000-4000-8000-000000000000" }],
        }),
      );
      const guard = new URL("../../test/contract/loopback-guard.cjs", import.meta.url).pathname;
      // CI also runs this with the newest 4.x through BLASTWALL_TEST_WRANGLER_BIN, pinning both orders.
      const testBin = process.env.BLASTWALL_TEST_WRANGLER_BIN;
      const bin = testBin ?? new URL("../../node_modules/wrangler/bin/wrangler.js", import.meta.url).pathname;
      const run = spawnSync(process.execPath, [bin, "d1", "migrations", "list", "db", "--local"], {
        cwd: root,
        encoding: "utf8",
        env: { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false", NODE_OPTIONS: `--require ${guard}` },
      });
      expect(run.status, run.stderr).toBe(0);
      const banner = /wrangler (\d+\.\d+\.\d+)/.exec(run.stdout)?.[1];
      expect(banner).toBe(testBin ? wranglerVersionOfBin(testBin) : wranglerVersionFor(root));
      const order = migrationOrderOf(banner);
      expect(listedNames(run.stdout)).toEqual(sortMigrations(TRICKY, { order }));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
