import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { REPO } from "./helpers.js";

const run = promisify(execFile);
const NPM_ENV = { ...process.env, CI: "true", NO_COLOR: "1", npm_config_audit: "false", npm_config_fund: "false" };

let packed: string | undefined;

/**
 * `npm pack` of this checkout (dist as built; scripts off so the build in use is not rebuilt under other tests),
 * once per process. Returns the tarball's absolute path, in a temp folder outside the repo.
 */
export async function packTarball(): Promise<string> {
  if (packed) return packed;
  const dest = mkdtempSync(join(tmpdir(), "bw-pack-"));
  await run("npm", ["pack", "--ignore-scripts", "--pack-destination", dest], { cwd: REPO, env: NPM_ENV });
  const file = readdirSync(dest).find((f) => f.endsWith(".tgz"));
  if (!file) throw new Error(`npm pack wrote no tarball to ${dest}`);
  packed = join(dest, file);
  return packed;
}

/** Runs a command in a folder, as a user's shell would; rejects with its output when it fails. */
export async function sh(cwd: string, command: string, timeoutMs = 600_000): Promise<string> {
  try {
    const { stdout, stderr } = await run("bash", ["-c", command], {
      cwd,
      env: NPM_ENV,
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    });
    return `${stdout}${stderr}`;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`\`${command}\` failed in ${cwd}: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
  }
}

/**
 * Copies examples/shop outside the repo and points its `blastwall` dependency at the packed tarball, as an app
 * that installed blastwall from the registry would have it. Returns the copy's folder (not yet installed).
 */
export async function copyShopOutside(): Promise<string> {
  const tarball = await packTarball();
  const dir = join(mkdtempSync(join(tmpdir(), "bw-shop-")), "shop");
  cpSync(join(REPO, "examples", "shop"), dir, {
    recursive: true,
    filter: (src) => !/[/\\](\.blastwall|\.wrangler|node_modules)([/\\]|$)/.test(src),
  });
  const pkgFile = join(dir, "package.json");
  const pkg = JSON.parse(readFileSync(pkgFile, "utf8")) as { dependencies: Record<string, string> };
  pkg.dependencies.blastwall = `file:${tarball}`;
  writeFileSync(pkgFile, `${JSON.stringify(pkg, null, 2)}\n`);
  return dir;
}

/** Runs the blastwall CLI that `npm install` put in a project (not this checkout's) with --json; parses stdout. */
export async function installedCliJson<T>(dir: string, args: string[]): Promise<T> {
  const bin = join(dir, "node_modules", "blastwall", "bin", "blastwall.js");
  try {
    const { stdout } = await run(process.execPath, [bin, ...args, "--json"], {
      cwd: dir,
      env: NPM_ENV,
      timeout: 180_000,
    });
    return JSON.parse(stdout) as T;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`blastwall ${args.join(" ")} failed in ${dir}: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
  }
}
