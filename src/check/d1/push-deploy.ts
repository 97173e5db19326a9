import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { packageScriptsUp } from "./order-apply-scripts.js";

/** A CI workflow that applies D1 migrations to the remote database on every push. */
export interface PushDeploy {
  /** The workflow file, absolute, and the line of the step that applies them. */
  file: string;
  line: number;
}

const APPLY_REMOTE = /\bmigrations\s+apply\b[^\n]*--remote\b/;
/** `npm run x`, `pnpm x`, `pnpm run x`, `yarn x`, `bun run x`: the package script a step runs. */
const RUNS_SCRIPT = /\b(?:npm\s+run|pnpm(?:\s+run)?|yarn(?:\s+run)?|bun\s+run)\s+([\w:.-]+)/g;

/** Whether the workflow's top-level `on:` lists `push` (`on: push`, `on: [push, …]` or a `push:` key under it). */
function triggeredByPush(text: string): boolean {
  const lines = text.split("\n");
  const at = lines.findIndex((l) => /^(?:on|"on"|'on'|true)\s*:/.test(l));
  if (at < 0) return false;
  const section = [lines[at] ?? ""];
  for (const l of lines.slice(at + 1)) {
    if (/^\S/.test(l) && !l.startsWith("#")) break;
    section.push(l);
  }
  return /\bpush\b/.test(section.join("\n").replace(/#.*$/gm, ""));
}

function workflowsUp(from: string): string[] {
  let at = resolve(from);
  for (;;) {
    const dir = join(at, ".github", "workflows");
    if (existsSync(dir))
      return readdirSync(dir)
        .filter((n) => /\.ya?ml$/.test(n))
        .sort()
        .map((n) => join(dir, n));
    const up = dirname(at);
    if (up === at || existsSync(join(at, ".git"))) return [];
    at = up;
  }
}

/**
 * The workflow step that applies D1 migrations with `--remote` on every push, directly or through a package.json
 * script, searching `.github/workflows` from `from` up to the repository root. With one, a commit that reaches the
 * branch is applied to production: a migration has shipped once it was pushed, even with nothing added on top.
 * A workflow that runs `wrangler d1 create` is left out: it applies them to a database made for that run.
 *
 * @example
 * pushDeploy("/repo/migrations"); // { file: "/repo/.github/workflows/deploy.yml", line: 32 }
 */
export function pushDeploy(from: string): PushDeploy | undefined {
  const files = workflowsUp(from);
  if (files.length === 0) return undefined;
  const remoteScripts = new Set(
    packageScriptsUp(from)
      .filter((s) => APPLY_REMOTE.test(s.script))
      .map((s) => s.name),
  );
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    // A workflow that creates its database each run applies migrations to a throwaway copy, such as a test run's.
    if (!triggeredByPush(text) || /\bd1\s+create\b/.test(text)) continue;
    const lines = text.split("\n");
    const line = lines.findIndex(
      (l) =>
        !/^\s*#/.test(l) &&
        (APPLY_REMOTE.test(l) || [...l.matchAll(RUNS_SCRIPT)].some((m) => remoteScripts.has(m[1] ?? ""))),
    );
    if (line >= 0) return { file, line: line + 1 };
  }
  return undefined;
}
