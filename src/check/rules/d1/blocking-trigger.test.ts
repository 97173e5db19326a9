import { describe, expect, it } from "vitest";
import { checkMigrations } from "../../d1/testing.js";

const BASE = "CREATE TABLE projects (id TEXT PRIMARY KEY, status TEXT NOT NULL DEFAULT 'PREPARING', revision INTEGER);";
const WORKER = (status: string) => `export default {
  async fetch(_req: Request, env: { DB: D1Database }) {
    await env.DB.prepare("INSERT INTO projects (id, status) VALUES (?, '${status}')").bind("p").run();
    return new Response("ok");
  },
};
`;
const FORBID = `UPDATE projects SET status = 'OPEN', revision = revision + 1 WHERE status = 'PREPARING';
CREATE TRIGGER IF NOT EXISTS projects_no_preparing_insert
BEFORE INSERT ON projects
WHEN NEW.status = 'PREPARING'
BEGIN
  SELECT RAISE(ABORT, 'PREPARING_STATUS_DISABLED');
END;
CREATE TRIGGER projects_no_preparing_update BEFORE UPDATE OF status ON projects FOR EACH ROW
BEGIN
  SELECT RAISE(FAIL, 'no') WHERE NEW."status" IN ('PREPARING', 'DRAFT');
END;`;

async function found(change: string, status: string, base = BASE) {
  const result = await checkMigrations({
    "migrations/0001_init.sql": base,
    "migrations/0002_change.sql": change,
    "src/index.ts": WORKER(status),
  });
  return result.findings.filter((f) => f.rule === "d1/blocking-trigger").map((f) => [f.line, f.severity]);
}

describe("d1/blocking-trigger", () => {
  it("flags triggers that abort writes of a value, an error when the Worker code still names it", async () => {
    expect(await found(FORBID, "PREPARING")).toEqual([
      [2, "error"],
      [8, "error"],
    ]);
    expect(await found(FORBID, "OPEN")).toEqual([
      [2, "warning"],
      [8, "warning"],
    ]);
  });

  it("does not flag a trigger on a table created in the same file, nor one that does not abort", async () => {
    expect(await found(`${BASE}\n${FORBID}`, "PREPARING", "CREATE TABLE other (id TEXT);")).toEqual([]);
    expect(
      await found(
        "CREATE TRIGGER audit AFTER INSERT ON projects WHEN NEW.status = 'PREPARING' BEGIN UPDATE projects SET revision = 1 WHERE id = NEW.id; END;",
        "PREPARING",
      ),
    ).toEqual([]);
  });

  it("does not judge a whitelist trigger, a term among others, or a column the file adds", async () => {
    const whitelist = `ALTER TABLE projects ADD COLUMN deleted_at TEXT;
CREATE TRIGGER projects_deletion_state BEFORE INSERT ON projects
WHEN ((NEW.deleted_at IS NULL) OR (NEW.deleted_at IS NOT NULL AND NEW.status = 'CLOSED')) IS NOT TRUE
BEGIN SELECT RAISE(ABORT, 'INVALID'); END;
CREATE TRIGGER projects_deleted_closed BEFORE INSERT ON projects
WHEN NEW.deleted_at = 'x' AND NEW.status = 'PREPARING' || '' BEGIN SELECT RAISE(ABORT, 'no'); END;`;
    expect(await found(whitelist, "PREPARING")).toEqual([]);
  });

  it("does not flag a guard that also needs a row of a table the file creates empty, but does once it is filled", async () => {
    const guard = (fill: string) => `CREATE TABLE closeouts (project_id TEXT NOT NULL);
${fill}CREATE TRIGGER projects_closed_guard BEFORE INSERT ON projects
WHEN NEW.status = 'PREPARING' AND EXISTS (SELECT 1 FROM closeouts c LEFT JOIN projects p ON p.id = c.project_id WHERE c.project_id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'closed'); END;`;
    expect(await found(guard(""), "PREPARING")).toEqual([]);
    expect(await found(guard("INSERT INTO closeouts SELECT id FROM projects;\n"), "PREPARING")).toEqual([[3, "error"]]);
  });

  it("does not flag a reference guard (NOT EXISTS over rows of an existing table), but does over an empty new one", async () => {
    const trigger = `CREATE TRIGGER projects_quote_guard BEFORE INSERT ON projects
WHEN NEW.status = 'PREPARING' AND NOT EXISTS (SELECT 1 FROM quotes WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'missing quote'); END;`;
    const withQuotes = `${BASE}\nCREATE TABLE quotes (id TEXT PRIMARY KEY);`;
    expect(await found(trigger, "PREPARING", withQuotes)).toEqual([]);
    expect(await found(`CREATE TABLE quotes (id TEXT PRIMARY KEY);\n${trigger}`, "PREPARING")).toEqual([[2, "error"]]);
  });
});
