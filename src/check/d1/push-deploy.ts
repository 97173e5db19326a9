import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { workspaceDirs, workspaceRoot } from "../../project/workspaces.js";
import { type PackageScript, packageScriptsUp } from "./order-apply-scripts.js";

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

/** A wrangler command that puts code live: `wrangler deploy`, `wrangler publish`, `wrangler pages deploy`. */
const DEPLOYS = /\bwrangler(?:@[\w.^~-]+)?\s+(?:deploy|publish|pages\s+deploy)\b(?![^\n]*--dry-run)/;
const WRANGLER_ACTION = /^\s*(?:-\s*)?uses:\s*["']?cloudflare\/wrangler-action@/;
/** `migrations apply` aimed anywhere but the local database (a test job's `--local` run applies nothing live). */
const APPLY_NOT_LOCAL = /\bmigrations\s+apply\b(?![^\n]*--local\b)/;
/** A step that lets its command fail: `|| true`, `|| :`, `|| exit 0`, `continue-on-error: true`. */
const IGNORES_FAILURE = /\|\|\s*(?:true\b|:(?=\s|$)|exit 0\b)|continue-on-error:\s*true\b/;
const WORKING_DIR = /^\s*(?:working-directory|workingDirectory):\s*["']?([^"'#\s]+)/;

/** The first line (0-based) of the step around `line`: its `- ` item. */
function stepStart(lines: readonly string[], line: number): number {
  let start = line;
  while (start > 0 && !/^\s*-\s/.test(lines[start] ?? "")) start--;
  return start;
}

/** The step around `line` (0-based): from its `- ` item to the next item at the same indent. */
function stepAround(lines: readonly string[], line: number): string[] {
  const start = stepStart(lines, line);
  const indent = /^\s*/.exec(lines[start] ?? "")?.[0].length ?? 0;
  let end = line + 1;
  for (; end < lines.length; end++) {
    const l = lines[end] ?? "";
    const at = /^\s*/.exec(l)?.[0].length ?? 0;
    if (l.trim() !== "" && (at < indent || (at === indent && /^\s*-\s/.test(l)))) break;
  }
  return lines.slice(start, end);
}

/** A step line that runs a package manager (not a step's `name:`), which may run a package script by name. */
const PACKAGE_RUN = /^(?!\s*-?\s*name:).*\b(?:npm|npx|pnpm|yarn|bun|turbo)\b/;
const words = (l: string) => l.split(/[\s"'&;|]+/);

/** Whether a step deploys: a deploying wrangler command, a package script that runs one, or wrangler-action's default. */
function deploysAt(lines: readonly string[], i: number, deployScripts: ReadonlySet<string>): boolean {
  const l = lines[i] ?? "";
  if (/^\s*#/.test(l)) return false;
  if (DEPLOYS.test(l) || (PACKAGE_RUN.test(l) && words(l).some((w) => deployScripts.has(w)))) return true;
  if (!WRANGLER_ACTION.test(l)) return false;
  // wrangler-action runs `wrangler deploy` unless its `command:` input says otherwise.
  const step = stepAround(lines, i);
  const command = step.findIndex((s) => /^\s*command:/.test(s));
  if (command < 0) return true;
  return step.slice(command).some((s) => /\b(?:deploy|publish)\b/.test(s) && !/\bversions\s+upload\b/.test(s));
}

/** The line that deploys in the step at `i`: for wrangler-action, the `deploy` line of its `command:` input, if any. */
function deployLine(lines: readonly string[], i: number): number {
  if (!WRANGLER_ACTION.test(lines[i] ?? "")) return i;
  const start = stepStart(lines, i);
  // The test `deploysAt` reads the input with: `deploy`, `pages deploy`, `npx wrangler deploy` on a line of it.
  const at = stepAround(lines, i).findIndex(
    (l, k) => k > 0 && /\b(?:deploy|publish)\b/.test(l) && !/\bversions\s+upload\b|^\s*-?\s*name:/.test(l),
  );
  return at < 0 ? i : start + at;
}

/** A push-triggered workflow step that deploys a Worker, when nothing in CI applies D1 migrations (see below). */
export interface DeployWithoutMigrate {
  /** The workflow file, absolute, and the line of the deploying step. */
  file: string;
  line: number;
  /**
   * Set when the workflow does apply the migrations, but only after this deploy, in the same job: the line that
   * applies them, and whether that step lets a failure pass (`|| true`, `continue-on-error: true`).
   */
  migratesAfter?: { line: number; ignoresFailure: boolean };
}

/** The job (its key line, 0-based) that holds `line`, or -1 outside `jobs:`. */
function jobOf(lines: readonly string[], line: number): number {
  const jobs = lines.findIndex((l) => /^jobs\s*:/.test(l));
  if (jobs < 0 || line <= jobs) return -1;
  const indentOf = (l: string) => /^\s*/.exec(l)?.[0].length ?? 0;
  const first = lines.findIndex((l, i) => i > jobs && l.trim() !== "" && !/^\s*#/.test(l));
  const indent = first < 0 ? 2 : indentOf(lines[first] ?? "");
  for (let i = line; i > jobs; i--) {
    const l = lines[i] ?? "";
    if (l.trim() !== "" && !/^\s*#/.test(l) && indentOf(l) === indent) return i;
  }
  return -1;
}

/**
 * The workflow step that deploys on every push one of `workers` (their config folders, absolute), when no workflow
 * (whatever its trigger) and no package.json script a workflow runs applies D1 migrations to the remote database.
 * Then each push puts live code written for the newest migration before anyone has applied it. A step that names a
 * `working-directory` counts only when one of the Workers' folders is in it. A workflow that runs `d1 create` (a
 * throwaway database per run) is passed over.
 *
 * @example
 * deployWithoutMigrate("/repo/migrations", ["/repo"]); // { file: "/repo/.github/workflows/deploy.yml", line: 24 }
 */
export function deployWithoutMigrate(from: string, workers: readonly string[]): DeployWithoutMigrate | undefined {
  const files = workflowsUp(from);
  const scripts = scriptsOfRepo(from);
  const texts = files.map((file) => ({ file, text: readFileSync(file, "utf8") }));
  const migrating = migratingScripts(scripts);
  // A step names such a script (`npm run db:migrate:prod`, `pnpm --filter api db:migrate:prod`), or runs one whose
  // name says it migrates when its text is out of reach.
  const runsApply = (l: string) =>
    words(l).some((w) => migrating.has(w)) || (PACKAGE_RUN.test(l) && /\bmigrat/i.test(l) && !/--local\b/.test(l));
  const migratesAt = (l: string) => !/^\s*#/.test(l) && (APPLY_NOT_LOCAL.test(l) || runsApply(l));
  if (texts.length === 0) return undefined;
  const migratesSomewhere = texts.some(({ text }) => text.split("\n").some(migratesAt));
  const deployScripts = new Set(scripts.filter((s) => DEPLOYS.test(s.script)).map((s) => s.name));
  const holdsWorker = (w: string) => workers.some((d) => d === w || d.startsWith(`${w}/`));
  for (const { file, text } of texts) {
    if (!triggeredByPush(text) || /\bd1\s+create\b/.test(text)) continue;
    const root = dirname(dirname(dirname(file)));
    const lines = text.split("\n");
    const apply = lines.findIndex(migratesAt);
    for (let i = 0; i < lines.length; i++) {
      if (!deploysAt(lines, i, deployScripts)) continue;
      const wd = stepAround(lines, i)
        .map((s) => WORKING_DIR.exec(s)?.[1])
        .find((w) => w !== undefined);
      if (wd !== undefined && !holdsWorker(resolve(root, wd))) continue;
      if (!migratesSomewhere) return { file, line: i + 1 };
      // Migrated in the same job, but after this deploy: the new code serves on the old schema in between.
      const job = jobOf(lines, i);
      if (apply > deployLine(lines, i) && job >= 0 && jobOf(lines, apply) === job) {
        const ignoresFailure = stepAround(lines, apply).some((l) => IGNORES_FAILURE.test(l));
        return { file, line: i + 1, migratesAfter: { line: apply + 1, ignoresFailure } };
      }
    }
  }
  return undefined;
}

/**
 * The names of the scripts that apply migrations anywhere but locally: directly, through another such script
 * (`release: pnpm db:migrate && wrangler deploy`), or as npm's `predeploy`, which `npm run deploy` runs first.
 */
function migratingScripts(scripts: readonly PackageScript[]): Set<string> {
  const out = new Set<string>();
  for (let grew = true; grew; ) {
    grew = false;
    for (const s of scripts)
      if (!out.has(s.name) && (APPLY_NOT_LOCAL.test(s.script) || words(s.script).some((w) => out.has(w)))) {
        out.add(s.name);
        if (s.name.startsWith("pre")) out.add(s.name.slice(3));
        grew = true;
      }
  }
  return out;
}

/** The package.json scripts from `from` up, and those of every workspace package (what `pnpm --filter` runs). */
function scriptsOfRepo(from: string): PackageScript[] {
  const ws = workspaceRoot(resolve(from));
  const dirs = ws ? workspaceDirs(ws.root, ws.patterns) : [];
  const seen = new Set<string>();
  return [from, ...dirs].flatMap(packageScriptsUp).filter((s) => {
    const key = `${s.pkg}:${s.name}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
