import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { d1Analyzer } from "../../d1/analyzer.js";
import { BASE_MIGRATION, writeProject } from "../../d1/testing.js";
import { runCheck } from "../../run-check.js";

const RULE = "d1/late-migration";
const T0 = 1_760_000_000;

/** Commits `steps` in order, each `minutes` after the one before, and returns this rule's findings. */
async function late(steps: { files: Record<string, string>; minutes: number }[]) {
  const dir = writeProject({ "migrations/0001_base.sql": BASE_MIGRATION });
  let t = T0;
  const git = (...args: string[]) =>
    execFileSync("git", ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
      stdio: "ignore",
      env: { ...process.env, GIT_AUTHOR_DATE: `@${t} +0000`, GIT_COMMITTER_DATE: `@${t} +0000` },
    });
  git("init", "-q");
  git("add", ".");
  git("commit", "-qm", "base");
  for (const step of steps) {
    t += step.minutes * 60;
    for (const [path, text] of Object.entries(step.files)) writeFileSync(join(dir, path), text);
    git("add", ".");
    git("commit", "-qm", "step");
  }
  const r = await runCheck(dir, { analyzers: [d1Analyzer] });
  return r.findings.filter((f) => f.rule === RULE);
}

describe(RULE, () => {
  it("is an error when a file committed after a later-numbered one shipped gives another database in that order", async () => {
    const found = await late([
      { files: { "migrations/0003_index.sql": "CREATE INDEX ix_tags_name ON tags (name);" }, minutes: 60 },
      {
        files: { "migrations/0002_tags.sql": "CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT);" },
        minutes: 60 * 24,
      },
    ]);
    expect(found.map((f) => `${f.file}:${f.severity}`)).toEqual(["migrations/0002_tags.sql:error"]);
    expect(found[0]?.message).toContain("after 0003_index.sql had");
    expect(found[0]?.fix).toContain("rename it to 0004_tags.sql");
  });

  it("replays the order the files arrived in, so a late file that sorts before the table it alters fails fresh databases", async () => {
    const found = await late([
      { files: { "migrations/0002_tags.sql": "CREATE TABLE tags (id INTEGER PRIMARY KEY);" }, minutes: 60 },
      { files: { "migrations/0003_index.sql": "CREATE INDEX ix_tags ON tags (id);" }, minutes: 60 },
      { files: { "migrations/0002_a_note.sql": "ALTER TABLE tags ADD COLUMN note TEXT;" }, minutes: 60 * 24 },
    ]);
    expect(found.map((f) => `${f.file}:${f.severity}`)).toEqual(["migrations/0002_a_note.sql:error"]);
    expect(found[0]?.message).toContain(
      "with 0002_a_note.sql first, 0002_a_note.sql fails at line 1: no such table: tags",
    );
  });

  it("reports a late file that fails where databases migrated along the way run it, though the name order fails too", async () => {
    // Production applied 0004 first, so the late 0003's ADD COLUMN fails there; a fresh database fails at 0004
    // instead, which the other rules report. Only this rule says what the databases that shipped hit.
    const found = await late([
      { files: { "migrations/0004_coupon.sql": "ALTER TABLE orders ADD COLUMN coupon TEXT;" }, minutes: 60 },
      {
        files: { "migrations/0003_coupon_code.sql": "ALTER TABLE orders ADD COLUMN coupon TEXT;\n" },
        minutes: 60 * 24,
      },
    ]);
    expect(found.map((f) => `${f.file}:${f.severity}`)).toEqual(["migrations/0003_coupon_code.sql:error"]);
    expect(found[0]?.message).toContain(
      "as databases migrated along the way ran them, 0003_coupon_code.sql fails at line 1: duplicate column name: coupon",
    );
  });

  it("is info when both orders end the same", async () => {
    const found = await late([
      { files: { "migrations/0003_notes.sql": "CREATE TABLE notes (id INTEGER PRIMARY KEY);" }, minutes: 60 },
      { files: { "migrations/0002_tags.sql": "CREATE TABLE tags (id INTEGER PRIMARY KEY);" }, minutes: 60 * 24 },
    ]);
    expect(found.map((f) => f.severity)).toEqual(["info"]);
  });

  it("says nothing when the files came minutes apart, in one commit, or in order", async () => {
    const index = { "migrations/0003_index.sql": "CREATE INDEX ix_tags_name ON tags (name);" };
    const tags = { "migrations/0002_tags.sql": "CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT);" };
    expect(
      await late([
        { files: index, minutes: 60 },
        { files: tags, minutes: 5 },
      ]),
    ).toEqual([]);
    expect(await late([{ files: { ...index, ...tags }, minutes: 60 }])).toEqual([]);
    expect(
      await late([
        { files: tags, minutes: 60 },
        { files: index, minutes: 60 * 24 },
      ]),
    ).toEqual([]);
  });
});
