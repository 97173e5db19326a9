import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadProject } from "../../project/discover.js";
import { runCheck } from "../run-check.js";
import { d1Analyzer } from "./analyzer.js";
import { codeMentionsFor } from "./code-mentions.js";
import { BASE_MIGRATION, writeProject } from "./testing.js";

const workerQuerying = (sql: string) =>
  `export default { fetch: (_r: Request, env: { DB: D1Database }) => env.DB.prepare(${JSON.stringify(sql)}).all() };\n`;

/** A repository whose last commit runs `before`; the working tree has the new migration and `after` as its code. */
function repo(before: string, after: string, migration: string): string {
  const dir = writeProject({ "migrations/0001_base.sql": BASE_MIGRATION, "src/index.ts": workerQuerying(before) });
  const git = (...args: string[]) => execFileSync("git", ["-C", dir, ...args], { stdio: "ignore" });
  git("init", "-q");
  git("add", ".");
  git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "v1");
  writeFileSync(join(dir, "src/index.ts"), workerQuerying(after));
  writeFileSync(join(dir, "migrations/0002_change.sql"), migration);
  return dir;
}

async function finding(dir: string, rule: string, base?: string) {
  const r = await runCheck(dir, { analyzers: [d1Analyzer], ...(base ? { base } : {}) });
  return r.findings.find((f) => f.rule === rule && f.file === "migrations/0002_change.sql");
}

describe("the running version's code, read at --base", () => {
  it("keeps the claim when the running version queries a column the new code stopped naming", async () => {
    const dir = repo("SELECT status FROM orders", "SELECT id FROM orders", "ALTER TABLE orders DROP COLUMN status;");
    const atBase = await finding(dir, "d1/drop-column", "HEAD");
    expect(atBase?.severity).toBe("error");
    expect(atBase?.message).toContain("the running version's queries that name it fail");
    // Without --base only the code about to be deployed is known, and the message says what that cannot tell.
    const onDisk = await finding(dir, "d1/drop-column");
    expect(onDisk?.severity).toBe("warning");
    expect(onDisk?.message).toContain("does not name status, but the version running now may still query it");
    expect(onDisk?.message).toContain("--base <git ref>");
  });

  it("judges a rename by the old name only: the running version never names the new one", async () => {
    const rename = "ALTER TABLE orders RENAME COLUMN status TO state;";
    const unused = repo("SELECT id FROM orders", "SELECT state FROM orders", rename);
    const f = await finding(unused, "d1/rename-column", "HEAD");
    // The new code names the new name, which keeps the claim when only it can be read; the running version's code decides.
    expect(f?.severity).toBe("info");
    expect(f?.message).toContain("at HEAD) does not name status");
    const used = repo("SELECT status FROM orders", "SELECT state FROM orders", rename);
    expect((await finding(used, "d1/rename-column", "HEAD"))?.severity).toBe("error");
  });
});

describe("a Pages project's code", () => {
  const pages = (server: string) =>
    writeProject({
      "wrangler.toml": `name = "site"\npages_build_output_dir = "dist"\ncompatibility_date = "2025-01-01"\n\n[[d1_databases]]\nbinding = "DB"\ndatabase_name = "site"\ndatabase_id = "00000000-0000-0000-0000-000000000000"\n`,
      "functions/api/[[route]].ts": `import { app } from "../../server/app";\nexport const onRequest = app.fetch;\n`,
      "server/app.ts": server,
      "src/index.ts": "export const ui = 1;\n",
      "migrations/0001_base.sql": BASE_MIGRATION,
      "migrations/0002_change.sql": "DROP TABLE order_items;",
    });

  it("is read from the whole project, since its Functions import from across it", async () => {
    const named = await finding(pages(workerQuerying("SELECT sku FROM order_items")), "d1/drop-table");
    expect(named?.message).toContain("the code about to be deployed names order_items");
    const unnamed = await finding(pages(workerQuerying("SELECT id FROM orders")), "d1/drop-table");
    expect(unnamed?.message).toContain("does not name order_items");
  });

  it("lets a string-literal union type stand for the values code writes to a column", async () => {
    const dir = writeProject({
      "wrangler.toml": `name = "site"\npages_build_output_dir = "dist"\ncompatibility_date = "2025-01-01"\n\n[[d1_databases]]\nbinding = "DB"\ndatabase_name = "site"\ndatabase_id = "00000000-0000-0000-0000-000000000000"\n`,
      "functions/api/users.ts": `import { setRole } from "../../server/users";\nexport const onRequest = setRole;\n`,
      "src/index.ts": "export const ui = 1;\n",
      "server/users.ts": `export type Role = "admin" | "editor" | "treasurer";\nexport const setRole = (db: D1Database, role: Role) => db.prepare("UPDATE users SET role = ?").bind(role).run();\n`,
      "migrations/0001_base.sql":
        "CREATE TABLE users (id INTEGER PRIMARY KEY, role TEXT NOT NULL CHECK (role IN ('admin', 'editor')));",
    });
    const r = await runCheck(dir, { analyzers: [d1Analyzer] });
    const hit = r.findings.find((f) => f.rule === "d1/check-rejects-code-value");
    expect(hit?.message).toMatch(/rejects 'treasurer', which server\/users\.ts:1 lists/);
  });
});

describe("whether the code read is the Worker's whole code", () => {
  const whole = (files: Record<string, string>) => {
    const dir = writeProject({ "package.json": JSON.stringify({ dependencies: { hono: "^4" } }), ...files });
    return codeMentionsFor({ configs: loadProject(dir).workers, label: (p) => p, root: dir })?.wholeCode();
  };

  it("asks only the code that runs: a tooling script's or an unimported draft's imports do not count", () => {
    const entry = 'import { Hono } from "hono";\nimport { q } from "./q";\nexport default new Hono();\n';
    const q = 'export const q = "SELECT id FROM orders";\n';
    expect(
      whole({ "src/index.ts": entry, "src/q.ts": q, "src/scripts/build.ts": 'import { marked } from "marked";\n' }),
    ).toBe(true);
    expect(whole({ "src/index.ts": entry, "src/q.ts": q, "src/old-index.ts": 'import { db } from "@app/db";\n' })).toBe(
      true,
    );
    expect(whole({ "src/index.ts": entry, "src/q.ts": 'import { db } from "@app/db";\nexport const q = db;\n' })).toBe(
      false,
    );
  });
});
