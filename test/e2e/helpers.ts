import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { createLocalPlatform, type LocalPlatform } from "../../src/platform/local/client.js";
import { childPids, type EdgeFile, isWorkerd } from "../../src/platform/local/daemon.js";

export const REPO = resolve(import.meta.dirname, "../..");
const BIN = join(REPO, "bin", "blastwall.js");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a user would, in the given project. */
export function cli(projectDir: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: projectDir, env: { ...process.env, CI: "true", NO_COLOR: "1", ...env }, timeout: 120_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** Runs the CLI with --json and parses stdout; fails the test with the CLI's stderr otherwise. */
export async function cliJson<T>(projectDir: string, args: string[]): Promise<T> {
  const r = await cli(projectDir, [...args, "--json"]);
  if (r.code !== 0) throw new Error(`blastwall ${args.join(" ")} exited ${r.code}\n${r.stderr}\n${r.stdout}`);
  return JSON.parse(r.stdout) as T;
}

export interface ShopEdge {
  dir: string;
  platform: LocalPlatform;
  edge: () => EdgeFile;
  url: (path: string) => string;
  /** Stops the edge (and anything it left running) and deletes the copy. */
  teardown: () => Promise<void>;
}

/**
 * Copies examples/shop to `<repo>/.blastwall/<label>-<pid>/`: inside the repo, so `blastwall` and `hono` resolve
 * from node_modules up the tree as in an installed app, and git ignores it. Returns the copy's path.
 */
export function copyShop(label: string): string {
  const dir = join(REPO, ".blastwall", `${label}-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(join(REPO, "examples", "shop"), dir, {
    recursive: true,
    filter: (src) => !/[/\\](\.blastwall|\.wrangler|node_modules)([/\\]|$)/.test(src.slice(REPO.length)),
  });
  return dir;
}

/**
 * Copies examples/shop to `<repo>/.blastwall/e2e-<id>/` (see {@link copyShop}) and starts a local edge there on
 * free ports.
 */
export async function startShopEdge(label: string): Promise<ShopEdge> {
  if (!existsSync(join(REPO, "dist", "cli", "bin.js")))
    throw new Error("run `npm run build` first: e2e tests drive dist/");
  const dir = copyShop(`e2e-${label}`);
  // Tests apply the shop's migrations themselves (or through a release), each with its restore point.
  const up = await cli(dir, ["local", "up", "--port", "0", "--skip-migrations"]);
  if (up.code !== 0) throw new Error(`local up failed:\n${up.stderr}\n${up.stdout}`);
  const platform = createLocalPlatform({ projectDir: dir });
  return {
    dir,
    platform,
    edge: () => platform.edge(),
    url: (path) => `${platform.routerUrl()}${path}`,
    teardown: async () => {
      const info = readEdgeInfo(dir);
      await cli(dir, ["local", "down"]);
      if (info) killTree(info.pid);
      // workerd processes this edge recorded, in case a failed test orphaned them.
      for (const pid of info?.runtimePids ?? []) if (isWorkerd(pid)) killTree(pid);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function readEdgeInfo(dir: string): EdgeFile | undefined {
  const file = join(dir, ".blastwall", "local", "edge.json");
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as EdgeFile) : undefined;
}

/** SIGKILLs a process and its descendants, by pid (only ones this test started). */
export function killTree(pid: number): void {
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...childPids(all[i] ?? -1));
  for (const p of all) {
    try {
      process.kill(p, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface UploadedVersion {
  id: string;
  tag?: string;
}

/** Uploads a Worker of the shop through the CLI. */
export function upload(shop: ShopEdge, worker: string, tag: string, extra: string[] = []): Promise<UploadedVersion> {
  return cliJson<UploadedVersion>(shop.dir, ["versions", "upload", "--worker", worker, "--tag", tag, ...extra]);
}

/** Creates an order through the router; returns its id. */
export async function placeOrder(shop: ShopEdge, userId: string): Promise<string> {
  const res = await fetch(shop.url("/orders"), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId, items: [{ sku: "sku-1", quantity: 2, priceCents: 250 }] }),
  });
  if (res.status !== 201) throw new Error(`order failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}
