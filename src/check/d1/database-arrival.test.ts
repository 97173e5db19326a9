import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { databaseArrival } from "./database-arrival.js";
import { releaseWindows } from "./release-windows.js";

const ID = "1740c3f2-2b52-4c98-8fbc-ccafdbde0bdd";
const config = (id: string) =>
  `{\n  "name": "app",\n  "d1_databases": [\n    { "binding": "DB", "database_name": "app", "database_id": "${id}" }\n  ]\n}\n`;

/** A repository that commits each step's files in turn, an hour apart; returns its migrations folder. */
function repo(steps: Record<string, string>[]): string {
  const dir = mkdtempSync(join(tmpdir(), "blastwall-arrival-"));
  mkdirSync(join(dir, "migrations"));
  let t = 1_760_000_000;
  for (const files of steps) {
    t += 3600;
    for (const [p, text] of Object.entries(files)) writeFileSync(join(dir, p), text);
    const env = { ...process.env, GIT_AUTHOR_DATE: `@${t} +0000`, GIT_COMMITTER_DATE: `@${t} +0000` };
    const git = (...args: string[]) =>
      execFileSync("git", ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
        stdio: "ignore",
        env,
      });
    if (t === 1_760_003_600) git("init", "-q");
    git("add", ".");
    git("commit", "-qm", "step");
  }
  return join(dir, "migrations");
}

describe("databaseArrival", () => {
  it("dates the commit that put the real id in place of a placeholder, and the files before it share one window", () => {
    const dir = repo([
      {
        "wrangler.jsonc": config("placeholder-will-be-created"),
        "migrations/0001_init.sql": "CREATE TABLE a (id INTEGER);",
      },
      { "migrations/0002_more.sql": "CREATE TABLE b (id INTEGER);" },
      { "wrangler.jsonc": config(ID) },
      { "migrations/0003_late.sql": "CREATE TABLE c (id INTEGER);" },
    ]);
    const at = databaseArrival(dir, [ID]);
    expect(at?.config).toBe("wrangler.jsonc");
    expect(at?.replaced).toBe("placeholder-will-be-created");
    const w = releaseWindows(dir, { databaseIds: [ID] });
    expect(w.of("0001_init.sql")?.id).toBe(w.of("0002_more.sql")?.id);
    expect(w.of("0002_more.sql")?.label).toContain("before wrangler.jsonc named the database");
    expect(w.of("0003_late.sql")?.id).not.toBe(w.of("0002_more.sql")?.id);
    // Without the ids, the two earlier files are two commits, as before.
    const plain = releaseWindows(dir);
    expect(plain.of("0002_more.sql")?.id).not.toBe(plain.of("0001_init.sql")?.id);
  });

  it("says nothing for a new binding when the first commit imported an evolved history; dates a new app's", () => {
    const history = {
      "migrations/0001_init.sql": "CREATE TABLE users (id TEXT PRIMARY KEY);",
      "migrations/0002_teams.sql": "CREATE TABLE teams (id TEXT PRIMARY KEY);",
      "migrations/0003_user_team.sql": "ALTER TABLE users ADD COLUMN team_id TEXT;",
    };
    const imported = repo([history, { "README.md": "# app\n" }, { "wrangler.jsonc": config(ID) }]);
    expect(databaseArrival(imported, [ID])).toBeUndefined();
    // Three first tables, none changed since: a new app's schema, whose database came with the config.
    const fresh = repo([
      { ...history, "migrations/0003_user_team.sql": "CREATE TABLE user_teams (user_id TEXT, team_id TEXT);" },
      { "wrangler.jsonc": config(ID) },
    ]);
    expect(databaseArrival(fresh, [ID])?.config).toBe("wrangler.jsonc");
  });

  it("says nothing when the id was there from the first commit, was filled in at deploy time, or is not real", () => {
    expect(
      databaseArrival(repo([{ "wrangler.jsonc": config(ID) }, { "migrations/0001_init.sql": "SELECT 1;" }]), [ID]),
    ).toBeUndefined();
    const templated = repo([
      { "wrangler.jsonc": config("$D1_DATABASE_ID"), "migrations/0001_init.sql": "SELECT 1;" },
      { "wrangler.jsonc": config(ID) },
    ]);
    expect(databaseArrival(templated, [ID])).toBeUndefined();
    expect(databaseArrival(templated, ["local"])).toBeUndefined();
    // A placeholder that a pipeline fills in, as its comment or a deploy script says.
    const byComment = repo([
      { "wrangler.toml": `[[d1_databases]]\nbinding = "DB"\n# Filled by CI on deploy.\ndatabase_id = "REPLACE_ME"\n` },
      { "wrangler.toml": `[[d1_databases]]\nbinding = "DB"\ndatabase_id = "${ID}"\n` },
    ]);
    expect(databaseArrival(byComment, [ID])).toBeUndefined();
    const byScript = repo([
      { "wrangler.jsonc": config("REPLACE_ME"), "migrations/deploy.sh": "sed -i s/REPLACE_ME/$ID/ wrangler.jsonc\n" },
      { "wrangler.jsonc": config(ID) },
    ]);
    expect(databaseArrival(byScript, [ID])).toBeUndefined();
  });
});
