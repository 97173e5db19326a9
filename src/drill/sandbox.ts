import { randomBytes } from "node:crypto";
import { cpSync, existsSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { BlastwallError } from "../core/errors.js";
import { createLocalPlatform, type LocalPlatform } from "../platform/local/client.js";
import { stopEdge } from "../platform/local/daemon.js";

/** A throwaway copy of a project with its own local edge, so a drill never touches the project's state. */
export interface DrillSandbox {
  dir: string;
  platform: LocalPlatform;
  /** Stops the sandbox's edge and deletes the copy. */
  teardown(): Promise<void>;
}

/**
 * Runs one `blastwall <argv>` command in `cwd` and resolves to its exit code and everything it printed. The CLI
 * injects itself here: a drill runs the very commands a person would, without importing the CLI.
 */
export type DrillCli = (argv: string[], cwd: string) => Promise<{ code: number; output: string }>;

export interface SandboxOptions {
  /** Starts the sandbox's edge with `local up`, as a person would. */
  cli: DrillCli;
  /** Keep the copy (and its edge.log) after the drill, for a post-mortem. */
  keep?: boolean;
}

/** Paths never copied: local state, wrangler's cache, installed packages (linked instead). */
const SKIP = /[/\\](\.blastwall|\.wrangler|node_modules)([/\\]|$)/;

/**
 * Copies the project to a sibling folder `.blastwall-drill-<label>-<id>` (the same depth, so relative paths in the
 * wrangler configs such as `alias` and `$schema` still resolve, and so does `node_modules` up the tree), links its
 * own `node_modules` if it has one, and starts a local edge there on free ports.
 *
 * @example
 * const box = await createSandbox("examples/shop", "bad-version", { cli: ctx.invoke });
 * await box.platform.listQueues();
 * await box.teardown();
 */
export async function createSandbox(
  projectDir: string,
  label: string,
  { cli, keep = false }: SandboxOptions,
): Promise<DrillSandbox> {
  const root = resolve(projectDir);
  const dir = join(dirname(root), `.blastwall-drill-${label}-${randomBytes(3).toString("hex")}`);
  cpSync(root, dir, { recursive: true, filter: (src) => !SKIP.test(src.slice(root.length)) });
  if (existsSync(join(root, "node_modules"))) symlinkSync(join(root, "node_modules"), join(dir, "node_modules"), "dir");
  const teardown = async () => {
    await stopEdge(dir).catch(() => undefined);
    if (!keep) rmSync(dir, { recursive: true, force: true });
  };
  try {
    // Free ports; migrations stay pending, as the scenarios expect them.
    const up = await cli(["local", "up", "--project", dir, "--port", "0", "--skip-migrations"], dir);
    if (up.code !== 0) {
      throw new BlastwallError(`the drill's local edge did not start (exit ${up.code}):\n${up.output}`, {
        kind: "failure",
        fix: `run \`blastwall local up --project ${dir} --port 0\` to see the same error, or pass --keep to read its edge.log`,
      });
    }
  } catch (err) {
    await teardown();
    throw err;
  }
  return { dir, platform: createLocalPlatform({ projectDir: dir }), teardown };
}
