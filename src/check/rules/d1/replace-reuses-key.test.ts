import { describe, expect, it } from "vitest";
import { checkMigrations } from "../../d1/testing.js";

const RULE = "d1/replace-reuses-key";
const TOOLS = `CREATE TABLE tools (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, category TEXT);
INSERT OR IGNORE INTO tools (id, name, category) VALUES ('tool-041', 'Suno AI', 'music'), ('tool-042', 'Udio', 'music');
`;

async function findings(later: string, first = TOOLS) {
  const r = await checkMigrations({ "migrations/0001_init.sql": first, "migrations/0002_more.sql": later });
  return r.findings.filter((f) => f.rule === RULE);
}

describe(RULE, () => {
  it("flags INSERT OR REPLACE that puts a different item under an id an earlier migration used", async () => {
    const [f, more] = await findings(
      "INSERT OR REPLACE INTO tools (id, name, category) VALUES ('tool-041', 'Gemini TTS', 'voice');",
    );
    expect(more).toBeUndefined();
    expect(f?.line).toBe(1);
    expect(f?.severity).toBe("warning");
    expect(f?.message).toContain("'tool-041' (name 'Suno AI' in 0001_init.sql, 'Gemini TTS' here)");
    expect(f?.message).toContain("Suno AI is gone");
    expect(f?.fix).toContain("ON CONFLICT(id) DO UPDATE SET");
  });

  it("flags REPLACE INTO and a clash on the other unique column (the name taken under another id)", async () => {
    const [f] = await findings("REPLACE INTO tools (id, name) VALUES ('tool-099', 'Udio');");
    expect(f?.message).toContain("'Udio' (id 'tool-042' in 0001_init.sql, 'tool-099' here)");
  });

  it("says nothing for the same item replaced, a renamed spelling, a fresh id, or OR IGNORE", async () => {
    expect(
      await findings("INSERT OR REPLACE INTO tools (id, name, category) VALUES ('tool-041', 'Suno AI', 'audio');"),
    ).toEqual([]);
    expect(await findings("INSERT OR REPLACE INTO tools (id, name) VALUES ('tool-042', 'Udio (v2)');")).toEqual([]);
    expect(await findings("INSERT OR REPLACE INTO tools (id, name) VALUES ('tool-043', 'Gemini TTS');")).toEqual([]);
    expect(await findings("INSERT OR IGNORE INTO tools (id, name) VALUES ('tool-041', 'Gemini TTS');")).toEqual([]);
  });

  it("says nothing once the earlier rows were deleted or updated, or when only one column names a row", async () => {
    const replace = "INSERT OR REPLACE INTO tools (id, name) VALUES ('tool-041', 'Gemini TTS');";
    expect(await findings(`DELETE FROM tools WHERE id = 'tool-041';\n${replace}`)).toEqual([]);
    expect(await findings(replace, `${TOOLS}UPDATE tools SET name = 'Gemini TTS' WHERE id = 'tool-041';`)).toEqual([]);
    const noName = `CREATE TABLE tools (id TEXT PRIMARY KEY, name TEXT);
INSERT INTO tools (id, name) VALUES ('tool-041', 'Suno AI');`;
    expect(await findings(replace, noName)).toEqual([]);
  });
});
