import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BlastwallError } from "../../../core/errors.js";
import { createConfigAnalyzer } from "../../config/analyzer.js";
import { findingsOf, gitIn, writeProject } from "../../config/fixture.js";

const analyzers = [createConfigAnalyzer()];
const RULE = "do/migrations-not-append-only";

const git = gitIn;

const V1 = `[[migrations]]\ntag = "v1"\nnew_sqlite_classes = ["Room"]\n`;
const V2 = `[[migrations]]\ntag = "v2"\nnew_sqlite_classes = ["Lobby"]\n`;

/** A repo whose `main` branch holds migrations v1 and v2; the work tree then gets `now`. */
function repo(now: string): string {
  const dir = writeProject({ "chat/wrangler.toml": `name = "chat"\n${V1}${V2}` });
  git(dir, "init", "-q", "-b", "main");
  git(dir, "add", "-A");
  git(dir, "commit", "-q", "-m", "base");
  writeFileSync(join(dir, "chat", "wrangler.toml"), `name = "chat"\n${now}`);
  return dir;
}

describe(RULE, () => {
  it("passes when steps are only appended", async () => {
    const dir = repo(`${V1}${V2}[[migrations]]\ntag = "v3"\nnew_sqlite_classes = ["Hall"]\n`);
    expect(await findingsOf(dir, analyzers, RULE, { base: "main" })).toEqual([]);
  });

  it("flags an edited earlier step at its line", async () => {
    const dir = repo(`[[migrations]]\ntag = "v1"\nnew_sqlite_classes = ["Room", "Extra"]\n${V2}`);
    const found = await findingsOf(dir, analyzers, RULE, { base: "main" });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ file: "chat/wrangler.toml", line: 2, severity: "error" });
    expect(found[0]?.message).toContain('edits migration "v1"');
  });

  it("flags a removed deployed tag with 10074, and a removed earlier step", async () => {
    const lastGone = await findingsOf(repo(V1), analyzers, RULE, { base: "main" });
    expect(lastGone).toHaveLength(1);
    expect(lastGone[0]?.message).toContain("10074");
    expect(lastGone[0]?.data).toMatchObject({ code: 10074, tag: "v2" });
    const firstGone = await findingsOf(repo(V2), analyzers, RULE, { base: "main" });
    expect(firstGone.map((f) => f.message).join()).toContain('no longer has migration "v1"');
    expect(firstGone.map((f) => f.message).join()).not.toContain("10074");
  });

  it("flags a step inserted before deployed ones", async () => {
    const dir = repo(`${V1}[[migrations]]\ntag = "v1b"\nnew_sqlite_classes = ["Hall"]\n${V2}`);
    const found = await findingsOf(dir, analyzers, RULE, { base: "main" });
    expect(found.map((f) => f.message)).toEqual([
      expect.stringContaining(`inserts migration "v1b" before migration "v2"`),
    ]);
  });

  it("treats a config that did not exist at the base as new, and ignores --base when not given", async () => {
    const dir = repo(`${V1}${V2}`);
    writeFileSync(join(dir, "chat", "wrangler.toml"), `name = "chat"\n${V2}`);
    expect(await findingsOf(dir, analyzers, RULE)).toEqual([]);
    const fresh = writeProject({ "other/wrangler.toml": `name = "o"\n${V1}` }, dir);
    expect((await findingsOf(fresh, analyzers, RULE, { base: "main" })).map((f) => f.file)).toEqual([
      "chat/wrangler.toml",
    ]);
  });

  it("fails with exit 2 on an unknown ref or outside a repository", async () => {
    const dir = repo(`${V1}${V2}`);
    await expect(findingsOf(dir, analyzers, RULE, { base: "nope" })).rejects.toThrow(/unknown git ref "nope"/);
    const plain = writeProject({ "wrangler.toml": `name = "x"\n${V1}` });
    const err = await findingsOf(plain, analyzers, RULE, { base: "main" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlastwallError);
    expect((err as BlastwallError).kind).toBe("input");
  });
});
