import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { gitIn, writeProject } from "../config/fixture.js";
import { writeLock } from "../d1/lock.js";
import { TEST_WRANGLER } from "../d1/testing.js";
import { failsGate } from "../findings.js";
import { renderPretty } from "../report/pretty.js";
import { runCheck } from "../run-check.js";
import { BASELINE_FILE } from "./baseline-file.js";

const WRANGLER = `${TEST_WRANGLER}
[[migrations]]
tag = "v1"
new_sqlite_classes = ["Room", "Lobby"]

[[migrations]]
tag = "v2"
deleted_classes = ["Lobby"]
`;

/** An app with years of history: a dropped column, a deleted class and SQL built from request input. */
function oldApp(): string {
  return writeProject({
    "wrangler.toml": WRANGLER,
    "src/index.ts": `export class Room {}
export default {
  async fetch(req: Request, env: { DB: D1Database }) {
    const col = new URL(req.url).searchParams.get("sort") ?? "id";
    return Response.json(await env.DB.prepare(\`SELECT id, name, legacy FROM users ORDER BY \${col}\`).all());
  },
};
`,
    "migrations/0001_users.sql": "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, legacy TEXT);\n",
    "migrations/0002_drop_legacy.sql": "ALTER TABLE users DROP COLUMN legacy;\n",
  });
}

const git = gitIn;

const errors = (r: { findings: { severity: string; rule: string; file: string }[] }) =>
  r.findings.filter((f) => f.severity === "error").map((f) => `${f.rule}@${f.file}`);

describe("adoption baseline", () => {
  it("fails on old history before adoption", async () => {
    const r = await runCheck(oldApp());
    expect(errors(r)).toEqual(
      expect.arrayContaining(["d1/drop-column@migrations/0002_drop_legacy.sql", "do/deleted-classes@wrangler.toml"]),
    );
    expect(failsGate(r.findings)).toBe(true);
  });

  it("--init parks every finding and says how many; then the next new hazard fails", async () => {
    const dir = oldApp();
    const before = (await runCheck(dir)).findings.filter((f) => f.severity !== "info").length;
    const init = await runCheck(dir, { init: true });
    expect(existsSync(join(dir, BASELINE_FILE))).toBe(true);
    expect(failsGate(init.findings)).toBe(false);
    expect(init.baseline).toMatchObject({ parked: before, written: BASELINE_FILE });
    expect(init.findings.find((f) => f.rule === "do/deleted-classes")?.parked).toEqual({
      from: "baseline",
      severity: "error",
    });
    const text = renderPretty(init, { root: dir });
    expect(text).toContain(`baseline written to ${BASELINE_FILE}: ${before} findings parked`);
    expect(text).toContain("shipped history (parked as info");

    const again = await runCheck(dir);
    expect(failsGate(again.findings)).toBe(false);
    expect(renderPretty(again, { root: dir })).toContain(
      `${before} findings on shipped history parked as info (from ${BASELINE_FILE})`,
    );

    writeFileSync(join(dir, "migrations/0003_drop_name.sql"), "ALTER TABLE users DROP COLUMN name;\n");
    writeFileSync(join(dir, "wrangler.toml"), `${WRANGLER}\n[[migrations]]\ntag = "v3"\ndeleted_classes = ["Room"]\n`);
    const next = await runCheck(dir);
    expect(errors(next).sort()).toEqual([
      "d1/drop-column@migrations/0003_drop_name.sql",
      "do/deleted-classes@wrangler.toml",
    ]);
    expect(next.findings.find((f) => f.rule === "do/deleted-classes" && f.severity === "error")?.message).toContain(
      '"v3"',
    );
  });

  it("keeps edits to shipped history failing", async () => {
    const dir = oldApp();
    await runCheck(dir, { init: true });
    const edited = WRANGLER.replace('deleted_classes = ["Lobby"]', 'deleted_classes = ["Lobby"]\n');
    git(dir, "init", "-q", "-b", "main");
    git(dir, "add", "-A");
    git(dir, "commit", "-q", "-m", "base");
    writeFileSync(join(dir, "wrangler.toml"), edited.replace('tag = "v1"', 'tag = "v0"'));
    const r = await runCheck(dir, { base: "main" });
    expect(errors(r)).toContain("do/migrations-not-append-only@wrangler.toml");
  });

  it("--base parks migrations, steps and config findings that the ref already had", async () => {
    const dir = oldApp();
    git(dir, "init", "-q", "-b", "main");
    // Two releases: a first commit holding both files would ship them together, and the drop would be info.
    git(dir, "add", "-A", ":!migrations/0002_drop_legacy.sql");
    git(dir, "commit", "-q", "-m", "first");
    git(dir, "add", "-A");
    git(dir, "commit", "-q", "-m", "shipped");
    writeFileSync(join(dir, "migrations/0003_drop_name.sql"), "ALTER TABLE users DROP COLUMN name;\n");
    const r = await runCheck(dir, { base: "main" });
    expect(errors(r).filter((e) => !e.startsWith("code/"))).toEqual(["d1/drop-column@migrations/0003_drop_name.sql"]);
    expect(r.findings.find((f) => f.file === "migrations/0002_drop_legacy.sql")?.parked?.from).toBe("base");
    expect(r.baseline?.sources).toEqual(["--base main"]);
  });

  it("--data parks the migrations the database has applied", async () => {
    const dir = oldApp();
    const dbPath = join(dir, "prod.sqlite");
    const db = new Database(dbPath);
    db.exec(readFileSync(join(dir, "migrations/0001_users.sql"), "utf8"));
    db.exec(readFileSync(join(dir, "migrations/0002_drop_legacy.sql"), "utf8"));
    db.exec("CREATE TABLE d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TEXT)");
    db.exec("INSERT INTO d1_migrations (name) VALUES ('0001_users.sql'), ('0002_drop_legacy.sql')");
    db.close();
    writeFileSync(join(dir, "migrations/0003_drop_name.sql"), "ALTER TABLE users DROP COLUMN name;\n");
    const r = await runCheck(dir, { data: dbPath });
    const d1 = errors(r).filter((e) => e.startsWith("d1/"));
    expect(d1).toEqual(["d1/drop-column@migrations/0003_drop_name.sql"]);
    expect(r.findings.find((f) => f.file === "migrations/0002_drop_legacy.sql")?.parked?.from).toBe("data");
  });

  it("migrations.lock parks the migrations it lists; a migration added after the lock still fails", async () => {
    const dir = oldApp();
    const names = ["0001_users.sql", "0002_drop_legacy.sql"];
    writeLock(
      join(dir, "migrations"),
      names.map((name) => ({ name, content: readFileSync(join(dir, "migrations", name)) })),
    );
    writeFileSync(join(dir, "migrations/0003_drop_name.sql"), "ALTER TABLE users DROP COLUMN name;\n");
    const r = await runCheck(dir);
    const d1 = errors(r).filter((e) => e.startsWith("d1/"));
    expect(d1).toEqual(["d1/drop-column@migrations/0003_drop_name.sql"]);
    expect(r.findings.find((f) => f.file === "migrations/0002_drop_legacy.sql")?.parked?.from).toBe("lock");
    expect(r.baseline?.sources).toEqual(["migrations/migrations.lock"]);
  });
});
