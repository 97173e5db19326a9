import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { InitPlan } from "../../src/init/index.js";
import { applySnippets } from "../init-snippets.js";
import { REPO } from "./helpers.js";
import { installedCliJson, packTarball, sh } from "./packed.js";

/** The shell blocks of one README section, as lists of commands (comments dropped). */
function sectionCommands(readme: string, heading: string): string[][] {
  const start = readme.indexOf(`## ${heading}\n`);
  if (start < 0) throw new Error(`README has no "## ${heading}" section`);
  const end = readme.indexOf("\n## ", start + 3);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) =>
    (m[1] ?? "")
      .split("\n")
      .map((l) => l.replace(/\s+#\s.*$/, "").trim())
      .filter((l) => l && !l.startsWith("#")),
  );
}

describe("README: Use it in your Worker", () => {
  const root = mkdtempSync(join(tmpdir(), "bw-readme-"));
  const dir = join(root, "notes");
  afterAll(async () => {
    await sh(dir, "npx --no-install blastwall local down").catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });

  it("takes a fresh Worker from install to a promoted local canary, the kill switch and the CI workflow", async () => {
    const [install, loop, ...rest] = sectionCommands(
      readFileSync(join(REPO, "README.md"), "utf8"),
      "Use it in your Worker",
    );
    expect(rest).toEqual([]);
    expect(install?.length).toBeGreaterThan(0);
    cpSync(join(REPO, "test", "e2e", "fixtures", "first-worker"), dir, { recursive: true });
    // The one substitution: blastwall comes from this checkout's tarball, not from the registry.
    const tarball = await packTarball();
    for (const command of install ?? []) {
      await sh(dir, command.replace(/^npm install (.*)\bblastwall\b/, `npm install --prefer-offline $1${tarball}`));
    }
    expect(existsSync(join(dir, "blastwall.config.ts"))).toBe(true);
    expect(readFileSync(join(dir, "blastwall.config.ts"), "utf8")).toContain('path: "/healthz"');

    applySnippets(dir, await installedCliJson<InitPlan>(dir, ["init"]));
    await sh(dir, "npx tsc -p .");

    const log = await sh(dir, ["set -euo pipefail", ...(loop ?? [])].join("\n"), 900_000);
    expect(log).toMatch(/promoted: /);
    expect(log).toMatch(/smoke: health/);
    expect(log).toMatch(/ramp 10%/);
    expect(log).toMatch(/disable_writes/);
    expect(existsSync(join(dir, ".github", "workflows", "blastwall.yml"))).toBe(true);
    const reports = await sh(dir, "ls .blastwall/releases");
    expect(reports.match(/\.html/g)?.length).toBe(2);
  }, 1_500_000);
});
