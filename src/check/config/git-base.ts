import { execFileSync } from "node:child_process";
import { basename, dirname } from "node:path";
import { BlastwallError } from "../../core/errors.js";
import { parseWranglerConfig, type WranglerConfig } from "../../project/wrangler-config.js";

function git(cwd: string, args: string[]): { ok: true; out: string } | { ok: false; err: string } {
  try {
    return {
      ok: true,
      out: execFileSync("git", ["-C", cwd, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }),
    };
  } catch (err) {
    const stderr = (err as { stderr?: unknown }).stderr;
    return { ok: false, err: typeof stderr === "string" && stderr.trim() ? stderr.trim() : (err as Error).message };
  }
}

/**
 * The file names directly in folder `dir` at git ref `ref`; empty when the folder did not exist there.
 *
 * @example
 * migrationsAtRef("examples/shop/migrations", "origin/main"); // ["0001_create_orders.sql", …]
 */
export function filesAtRef(dir: string, ref: string): string[] {
  const listed = git(dir, ["ls-tree", "--name-only", ref, "--", "."]);
  if (!listed.ok) return [];
  return listed.out.split("\n").filter((l) => l.length > 0 && !l.includes("/"));
}

/**
 * The config at `path` as it was at git ref `ref`, from the repository that holds it. Returns undefined when
 * the file did not exist at that ref (a new Worker has no history to extend). A missing repository or an
 * unknown ref is unusable input (exit 2).
 *
 * @example
 * const before = configAtRef("examples/shop/api/wrangler.jsonc", "origin/main");
 */
export function configAtRef(path: string, ref: string): WranglerConfig | undefined {
  const dir = dirname(path);
  const verify = git(dir, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  if (!verify.ok) {
    const notRepo = /not a git repository/i.test(verify.err);
    throw new BlastwallError(
      notRepo ? `--base needs a git repository, and ${dir} is not in one` : `unknown git ref "${ref}" for --base`,
      {
        location: { file: path },
        fix: notRepo
          ? "run blastwall check inside the repository, or drop --base"
          : "pass a branch, tag or commit that exists locally, e.g. `--base origin/main` after `git fetch`",
      },
    );
  }
  const shown = git(dir, ["show", `${ref}:./${basename(path)}`]);
  if (!shown.ok) {
    if (/does not exist|exists on disk, but not in/i.test(shown.err)) return undefined;
    throw new BlastwallError(`cannot read ${basename(path)} at ${ref}: ${shown.err}`, {
      location: { file: path },
      fix: "check that the ref is reachable in this clone (`git fetch`), or drop --base",
    });
  }
  try {
    return parseWranglerConfig(path, shown.out);
  } catch (err) {
    if (err instanceof BlastwallError) {
      throw new BlastwallError(`the config at ${ref} does not parse: ${err.message}`, {
        location: err.location,
        fix: "pass a --base ref whose config is valid",
      });
    }
    throw err;
  }
}

/**
 * The text of every file under folder `dir` at git ref `ref` that `keep` accepts (paths relative to `dir`, forward
 * slashes), read in one `git cat-file --batch`. Undefined when the folder is not in a repository or not at the ref.
 *
 * @example
 * textsAtRef("apps/api/src", "origin/main", (p) => p.endsWith(".ts")); // ["import { Hono } …", …]
 */
export function textsAtRef(dir: string, ref: string, keep: (rel: string) => boolean): string[] | undefined {
  const prefix = git(dir, ["rev-parse", "--show-prefix"]);
  const listed = git(dir, ["ls-tree", "-r", "--name-only", ref, "--", "."]);
  if (!prefix.ok || !listed.ok) return undefined;
  const files = listed.out.split("\n").filter((p) => p.length > 0 && keep(p));
  if (files.length === 0) return undefined;
  let batch: Buffer;
  try {
    batch = execFileSync("git", ["-C", dir, "cat-file", "--batch"], {
      input: files.map((f) => `${ref}:${prefix.out.trim()}${f}`).join("\n"),
      maxBuffer: 1 << 30,
      stdio: ["pipe", "pipe", "ignore"],
    });
  } catch {
    return undefined;
  }
  const texts: string[] = [];
  let at = 0;
  while (at < batch.length) {
    const eol = batch.indexOf(10, at);
    if (eol < 0) break;
    const [, kind, size] = batch.subarray(at, eol).toString().split(" ");
    at = eol + 1;
    if (kind !== "blob") continue;
    texts.push(batch.subarray(at, at + Number(size)).toString("utf8"));
    at += Number(size) + 1;
  }
  return texts;
}
