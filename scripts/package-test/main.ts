// Packaging test (issues 18 and 22): the packed tarball, installed into a fresh project outside the repo with
// production dependencies only, must run its bin and give a Worker that bundles and typechecks. Run by .ci/run on
// the machine's Node with the lowest wrangler in the peer range, and on Node 22 and 24 with the newest 4.x.
//
//   tsx scripts/package-test/main.ts [--wrangler <version>] [--workers-types <range>] [--tarball <file.tgz>]
//                                    [--keep] [--save-native <file>]
//
// --workers-types is the user's @cloudflare/workers-types: by default the repo's own; with a newer wrangler, the
// range that wrangler's optional peer asks for (wrangler 4.164 wants 5.x and refuses to install beside 4.x).
//
// --save-native copies the better-sqlite3 addon the install built for this Node (the CI matrix reuses it for the
// repo's own tests instead of compiling SQLite a second time).
//
// Prints one JSON line `{"packageTest":…}` with the bundle size each runtime entry adds; exits 1 on any failure.
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { appFiles, runtimeEntries, sizeProbe } from "./app-files.js";

const repo = resolve(import.meta.dirname, "../..");

interface RepoPackage {
  version: string;
  exports: Record<string, unknown>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

/** The user's own dev tools: wrangler and @cloudflare/workers-types, as versions or ranges. */
interface UserTools {
  wrangler: string;
  workersTypes: string;
}

interface Ran {
  status: number;
  stdout: string;
  stderr: string;
}

/** A failed step: its name, and what it printed. */
class StepError extends Error {}

// The Node running this script runs npm, wrangler, tsc and the bin too (its folder goes first on PATH).
const env = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ""}`, CI: "true" };

function run(cmd: string, args: string[], cwd: string, extraEnv: NodeJS.ProcessEnv = {}): Ran {
  const r = spawnSync(cmd, args, { cwd, env: { ...env, ...extraEnv }, encoding: "utf8", maxBuffer: 64 << 20 });
  return {
    status: r.status ?? 1,
    stdout: r.stdout ?? "",
    stderr: `${r.stderr ?? ""}${r.error ? String(r.error) : ""}`,
  };
}

function step(name: string, fn: () => string | undefined): void {
  const started = Date.now();
  const note = fn();
  console.log(`  ✓ ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)${note ? ` ${note}` : ""}`);
}

function mustPass(what: string, r: Ran, expectStatus = 0): Ran {
  if (r.status !== expectStatus) {
    throw new StepError(`${what}: exit ${r.status}, expected ${expectStatus}\n${r.stdout}\n${r.stderr}`.trim());
  }
  return r;
}

function writeTree(dir: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
}

function packTarball(into: string): string {
  const r = mustPass("npm pack", run("npm", ["pack", "--silent", "--pack-destination", into], repo));
  const name = r.stdout.trim().split("\n").pop() ?? "";
  return join(into, name);
}

/** The user's package.json: blastwall from the tarball; wrangler, workers-types and typescript as their dev tools. */
function userPackage(tarball: string, { wrangler, workersTypes }: UserTools, pkg: RepoPackage): string {
  const manifest = {
    name: "pkg-app",
    private: true,
    type: "module",
    dependencies: { blastwall: `file:${tarball}`, hono: pkg.dependencies.hono ?? pkg.devDependencies.hono },
    devDependencies: {
      wrangler,
      "@cloudflare/workers-types": workersTypes,
      typescript: pkg.dependencies.typescript,
    },
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

const npmInstall = ["install", "--no-audit", "--no-fund", "--loglevel=error"];

function installedVersion(app: string, name: string): string {
  return (JSON.parse(readFileSync(join(app, "node_modules", name, "package.json"), "utf8")) as { version: string })
    .version;
}

function installProduction(app: string, pkg: RepoPackage): string {
  mustPass("npm install --omit=dev", run("npm", [...npmInstall, "--omit=dev"], app));
  // What blastwall needs at run time must be in its own dependencies: none of its dev-only tools may be here.
  const user = JSON.parse(readFileSync(join(app, "package.json"), "utf8")) as RepoPackage;
  const theirs = new Set([...Object.keys(user.dependencies), ...Object.keys(user.devDependencies)]);
  const leaked = Object.keys(pkg.devDependencies).filter(
    (d) => !theirs.has(d) && existsSync(join(app, "node_modules", d)),
  );
  if (leaked.length > 0) throw new StepError(`blastwall's dev dependencies were installed: ${leaked.join(", ")}`);
  return `(wrangler ${installedVersion(app, "wrangler")} as blastwall's peer)`;
}

/** Copies the app's better-sqlite3 addon when it is the version the repo pins (else the copy would not fit). */
function saveAddon(app: string, pkg: RepoPackage, to: string): void {
  const dir = join(app, "node_modules/better-sqlite3");
  const { version } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string };
  if (version !== pkg.dependencies["better-sqlite3"]) {
    throw new StepError(`better-sqlite3 ${version} installed, the repo pins ${pkg.dependencies["better-sqlite3"]}`);
  }
  copyFileSync(join(dir, "build/Release/better_sqlite3.node"), to);
}

function runBin(app: string): void {
  const bin = join(app, "node_modules/.bin/blastwall");
  const help = mustPass("blastwall --help", run(bin, ["--help"], app));
  if (!help.stdout.includes("check")) throw new StepError(`blastwall --help lists no commands:\n${help.stdout}`);
  step("blastwall check", () => {
    const r = mustPass("blastwall check", run(bin, ["check", "."], app));
    return `→ ${r.stdout.trim().split("\n").pop()}`;
  });
  // No edge is running and Cloudflare is unreachable: plan loads blastwall.config.ts, then must say what to do.
  step("blastwall plan (no local edge)", () => {
    const r = run(bin, ["plan", "."], app);
    const text = `${r.stdout}${r.stderr}`;
    if (r.status === 0 || !/^error: /m.test(text) || !/fix: /.test(text) || /\n\s+at /.test(text)) {
      throw new StepError(`blastwall plan: expected an error line with a fix and no stack trace\n${text}`);
    }
    return `→ ${text.split("\n").find((l) => l.startsWith("error: "))}`;
  });
}

function bundleBytes(outdir: string): { bytes: number; gzip: number } {
  let bytes = 0;
  let gzip = 0;
  for (const f of readdirSync(outdir)) {
    if (!/\.(m?js|wasm)$/.test(f)) continue;
    const buf = readFileSync(join(outdir, f));
    bytes += statSync(join(outdir, f)).size;
    gzip += gzipSync(buf, { level: 9 }).length;
  }
  return { bytes, gzip };
}

function dryRun(app: string, config: string, outdir: string): { bytes: number; gzip: number } {
  const wrangler = join(app, "node_modules/wrangler/bin/wrangler.js");
  const r = run(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", outdir, "--config", config], app, {
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_HIDE_BANNER: "true",
  });
  mustPass(`wrangler deploy --dry-run --config ${config}`, r);
  return bundleBytes(outdir);
}

type Sizes = Record<string, { bytes: number; gzip: number }>;

/** Bundles an empty Worker and one Worker per entry; each entry's figure is its bundle minus the empty one. */
function entrySizes(app: string, entries: string[]): Sizes {
  const measure = (entry: string | undefined) => {
    const dir = join(app, "size", entry ?? "baseline");
    writeTree(dir, sizeProbe(entry));
    return dryRun(app, join(dir, "wrangler.json"), join(dir, "out"));
  };
  const base = measure(undefined);
  const sizes: Sizes = {};
  for (const e of entries) {
    const s = measure(e);
    sizes[e] = { bytes: s.bytes - base.bytes, gzip: s.gzip - base.gzip };
  }
  return sizes;
}

function parseOptions(pkg: RepoPackage) {
  const { values } = parseArgs({
    options: {
      wrangler: { type: "string" },
      tarball: { type: "string" },
      keep: { type: "boolean", default: false },
      "save-native": { type: "string" },
      "workers-types": { type: "string" },
    },
  });
  const tools: UserTools = {
    wrangler: values.wrangler ?? pkg.devDependencies.wrangler ?? "",
    workersTypes: values["workers-types"] ?? pkg.devDependencies["@cloudflare/workers-types"] ?? "",
  };
  return { tools, tarball: values.tarball, keep: values.keep, saveNative: values["save-native"] };
}

function main(): number {
  const pkg = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as RepoPackage;
  const { tools, tarball: given, keep, saveNative } = parseOptions(pkg);
  const { wrangler } = tools;
  const work = mkdtempSync(join(tmpdir(), "blastwall-package-test-"));
  const app = join(work, "app");
  const npm = run("npm", ["--version"], repo).stdout.trim();
  console.log(
    `▸ package test: node ${process.version}, npm ${npm}, wrangler ${wrangler}, workers-types ${tools.workersTypes}, in ${work}`,
  );
  const started = Date.now();
  try {
    const tarball = given ? resolve(given) : packTarball(work);
    const entries = runtimeEntries(pkg.exports);
    writeTree(app, { "package.json": userPackage(tarball, tools, pkg), ...appFiles(entries) });
    step("npm install --omit=dev (tarball)", () => installProduction(app, pkg));
    if (saveNative) saveAddon(app, pkg, resolve(saveNative));
    runBin(app);
    step("npm install (the user's dev tools)", () => {
      mustPass("npm install", run("npm", npmInstall, app));
      return undefined;
    });
    let all = { bytes: 0, gzip: 0 };
    step(`wrangler deploy --dry-run (every entry: ${entries.join(", ")})`, () => {
      all = dryRun(app, join(app, "wrangler.jsonc"), join(app, "dist"));
      return `→ ${all.bytes} B, ${all.gzip} B gzip`;
    });
    step("tsc --strict against @cloudflare/workers-types", () => {
      mustPass("tsc", run(process.execPath, [join(app, "node_modules/typescript/bin/tsc"), "-p", "."], app));
      return undefined;
    });
    let sizes: Sizes = {};
    step("bundle size per entry", () => {
      sizes = entrySizes(app, entries);
      return undefined;
    });
    const seconds = Math.round((Date.now() - started) / 1000);
    const result = {
      node: process.version,
      wrangler: installedVersion(app, "wrangler"),
      workersTypes: installedVersion(app, "@cloudflare/workers-types"),
      version: pkg.version,
      worker: all,
      entries: sizes,
      seconds,
    };
    console.log(JSON.stringify({ packageTest: result }));
    if (!keep) rmSync(work, { recursive: true, force: true });
    return 0;
  } catch (err) {
    console.error(`✗ package test failed (files kept in ${work}):\n${err instanceof Error ? err.message : err}`);
    return 1;
  }
}

process.exitCode = main();
