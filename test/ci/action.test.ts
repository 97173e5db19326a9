import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const REPO = new URL("../..", import.meta.url).pathname;
const action = readFileSync(join(REPO, "action.yml"), "utf8");

/** The `run: |` script of the step with this name, as GitHub would hand it to bash (indentation removed). */
function stepScript(name: string): string {
  const at = action.indexOf(`- name: ${name}\n`);
  if (at < 0) throw new Error(`action.yml has no step "${name}"`);
  const block = /\n(\s+)run: \|\n((?:\1 {2}.*\n|\s*\n)+)/.exec(action.slice(at));
  const single = /\n\s+run: (?!\|)(.*)\n/.exec(action.slice(at));
  if (block && (!single || block.index < single.index)) {
    const indent = `${block[1]}  `;
    return (block[2] ?? "")
      .split("\n")
      .map((l) => l.slice(indent.length))
      .join("\n");
  }
  if (single?.[1]) return single[1];
  throw new Error(`step "${name}" has no run script`);
}

/** Runs a step's script the way a runner does: bash, GITHUB_ACTION_PATH at this checkout, files for outputs. */
async function runStep(name: string, cwd: string, env: Record<string, string>) {
  const temp = mkdtempSync(join(tmpdir(), "bw-action-"));
  const files = { GITHUB_OUTPUT: join(temp, "output"), GITHUB_STEP_SUMMARY: join(temp, "summary") };
  for (const f of Object.values(files)) writeFileSync(f, "");
  const result = await run("bash", ["-e", "-c", stepScript(name)], {
    cwd,
    env: { ...process.env, ...files, GITHUB_ACTION_PATH: REPO, RUNNER_TEMP: temp, CI: "true", ...env },
  }).then(
    (r) => ({ code: 0, stdout: r.stdout }),
    (e: { code?: number; stdout?: string }) => ({ code: e.code ?? 1, stdout: e.stdout ?? "" }),
  );
  return {
    ...result,
    temp,
    output: readFileSync(files.GITHUB_OUTPUT, "utf8"),
    summary: () => readFileSync(files.GITHUB_STEP_SUMMARY, "utf8"),
  };
}

describe("action.yml", () => {
  it("check: annotations for a clean project, SARIF written, exit code 0 kept for the last step", async () => {
    const r = await runStep("blastwall check", join(REPO, "examples", "shop"), { BASE: "", ARGS: "" });
    expect(r.code).toBe(0);
    expect(r.output).toContain("exit-code=0");
    const sarif = JSON.parse(readFileSync(join(r.temp, "blastwall.sarif"), "utf8")) as { version: string };
    expect(sarif.version).toBe("2.1.0");
  }, 120_000);

  it("check: a destructive migration becomes an ::error annotation and exit-code=1", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "bw-action-app-")), "app");
    cpSync(join(REPO, "test", "e2e", "fixtures", "first-worker"), dir, { recursive: true });
    writeFileSync(join(dir, "migrations", "0002_drop_body.sql"), "ALTER TABLE notes DROP COLUMN body;\n");
    const r = await runStep("blastwall check", dir, { BASE: "", ARGS: "" });
    expect(r.code).toBe(0);
    expect(r.output).toContain("exit-code=1");
    expect(r.stdout).toMatch(/::error file=.*0002_drop_body\.sql,line=1/);
  }, 120_000);

  it("release: the job summary leads with the decision and links the report artifact", async () => {
    const r0 = await runStep("job summary", REPO, {
      ARTIFACT_URL: "https://github.example/a/b/actions/runs/1/artifacts/2",
    });
    expect(r0.summary()).toContain("## blastwall release: no report");
    const temp = mkdtempSync(join(tmpdir(), "bw-action-rel-"));
    writeFileSync(
      join(temp, "blastwall-release.json"),
      JSON.stringify({
        worker: "notes",
        target: "cloudflare",
        outcome: "promoted",
        reason: "canary 5xx 0% (0/812) vs stable 0.1% (1/1630), e=0.4 < 100: promoted",
        candidate: "a1b2c3d4e5",
        stable: "f6e5d4c3b2",
        steps: [{ percent: 10, seconds: 30.2, canaryRequests: 120, decision: "continue", tests: [] }],
        migrations: [],
      }),
    );
    const r = await runStep("job summary", REPO, {
      RUNNER_TEMP: temp,
      ARTIFACT_URL: "https://github.example/a/b/artifacts/2",
    });
    expect(r.summary()).toContain("## blastwall release: notes ✅ promoted");
    expect(r.summary()).toContain("[HTML report](https://github.example/a/b/artifacts/2)");
  });
});
