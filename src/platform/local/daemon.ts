import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { BlastwallError } from "../../core/errors.js";
import { type ControlDashboard, createControlServer } from "./control.js";
import type { Edge } from "./edge.js";
import { type EdgeFile, isAlive, readEdgeFile } from "./edge-file.js";
import type { MetricsModel } from "./signals.js";
import { edgePaths, writeFileAtomic } from "./state.js";

export { type EdgeFile, isAlive, readEdgeFile } from "./edge-file.js";

/** Direct children of a process, read from /proc (empty where there is no /proc). */
export function childPids(pid: number): number[] {
  if (!existsSync("/proc")) return [];
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // The command name may hold spaces and parentheses: the fields after the last ")" are fixed.
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/** Children of a process whose command is workerd. */
export function workerdChildren(pid: number): number[] {
  return childPids(pid).filter(isWorkerd);
}

/** Whether a pid is (still) a workerd process, so a reused pid is never signalled. */
export function isWorkerd(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("workerd");
  } catch {
    return false;
  }
}

/**
 * workerd outlives an edge killed with SIGKILL. Before a new edge starts, end the workerd processes the dead one
 * recorded, checking each is still a workerd so a reused pid is never hit.
 */
function reapOrphans(file: string): void {
  if (!existsSync(file)) return;
  try {
    const info = JSON.parse(readFileSync(file, "utf8")) as EdgeFile;
    if (isAlive(info.pid)) return;
    for (const pid of info.runtimePids ?? []) if (isWorkerd(pid)) process.kill(pid, "SIGKILL");
  } catch {
    // an unreadable stale file has nothing to reap
  }
}

export { findProjectDir } from "./find-project.js";

/** What the edge keeps and how its metrics arrive (`local up --like-cloudflare`, `--retention`). */
export interface EdgeDataOptions {
  metrics?: MetricsModel;
  retentionSeconds?: number;
}

export interface RunEdgeOptions extends EdgeDataOptions {
  projectDir: string;
  port?: number;
  controlPort?: number;
  staticDir?: string;
  log?: (line: string) => void;
  /** Called once the edge serves, with what edge.json now says. */
  onReady?: (info: EdgeFile) => void;
  signal?: AbortSignal;
  /** The dashboard the control server serves (the UI layer builds it for the running edge). */
  dashboard?: (edge: Edge) => ControlDashboard;
}

/**
 * Runs the edge in this process until SIGINT/SIGTERM, the signal, or `POST /v1/shutdown`; writes edge.json while it
 * runs and removes it after.
 *
 * @example
 * await runEdgeForeground({ projectDir: "examples/shop", port: 8787 });
 */
export async function runEdgeForeground({
  projectDir,
  port = 8787,
  controlPort = 0,
  staticDir,
  metrics,
  retentionSeconds,
  log = (l) => process.stderr.write(`${l}\n`),
  onReady,
  signal,
  dashboard,
}: RunEdgeOptions): Promise<void> {
  const root = resolve(projectDir);
  const running = readEdgeFile(root);
  if (running && running.pid !== process.pid) {
    throw new BlastwallError(`a local edge already runs for ${root} (pid ${running.pid})`, {
      kind: "failure",
      fix: "use it, or stop it first with `blastwall local down`",
    });
  }
  const file = edgePaths(root).edgeFile;
  reapOrphans(file);
  // Loaded here, not at the top: every lever command reads edge.json through this module, and only the edge
  // process itself needs Miniflare.
  const { Edge, listen } = await import("./edge.js");
  const edge = await Edge.start({
    projectDir: root,
    port,
    log,
    ...(metrics ? { metrics } : {}),
    ...(retentionSeconds ? { retentionSeconds } : {}),
  });
  let stop = () => {};
  const stopped = new Promise<void>((r) => {
    stop = r;
  });
  const control = await listen(
    createControlServer({
      edge,
      onShutdown: () => stop(),
      staticDir,
      ...(dashboard ? { dashboard: dashboard(edge) } : {}),
    }),
    controlPort,
  ).catch(async (err: unknown) => {
    await edge.stop();
    throw err;
  });
  const info: EdgeFile = {
    pid: process.pid,
    projectDir: root,
    routerPort: edge.routerPort,
    controlPort: (control.address() as AddressInfo).port,
    token: edge.token,
    startedAt: edge.startedAt,
  };
  // It holds the control token: readable by this user only.
  const write = () =>
    writeFileAtomic(
      file,
      `${JSON.stringify({ ...info, runtimePids: workerdChildren(process.pid) }, null, 2)}\n`,
      0o600,
    );
  write();
  edge.onRuntimeRestart = write;
  const onSignal = () => stop();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  signal?.addEventListener("abort", onSignal, { once: true });
  onReady?.(info);
  await stopped;
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  await new Promise<void>((r) => {
    control.close(() => r());
    control.closeAllConnections();
  });
  await edge.stop();
  if (ownFile(file)) rmSync(file, { force: true });
}

function ownFile(file: string): boolean {
  try {
    return (JSON.parse(readFileSync(file, "utf8")) as EdgeFile).pid === process.pid;
  } catch {
    return false;
  }
}

export interface StartDaemonOptions extends EdgeDataOptions {
  projectDir: string;
  /**
   * The file the detached process runs: it calls `runEdgeForeground` with the dashboard. The CLI, the composition
   * root that owns it, passes its path, so this layer names nothing above it.
   */
  entry: string;
  port?: number;
  controlPort?: number;
  staticDir?: string;
  /** How long to wait for the edge to serve. */
  timeoutMs?: number;
}

/**
 * Starts the edge as a detached process that outlives the CLI; its output goes to `.blastwall/local/edge.log`.
 * Resolves once edge.json names the new process and its control API answers.
 */
export async function startEdgeDaemon({
  projectDir,
  entry,
  port = 8787,
  controlPort = 0,
  staticDir,
  timeoutMs = 60_000,
  ...data
}: StartDaemonOptions): Promise<EdgeFile> {
  const root = resolve(projectDir);
  const running = readEdgeFile(root);
  if (running) return running;
  const paths = edgePaths(root);
  mkdirSync(paths.root, { recursive: true });
  const logFd = openSync(paths.logFile, "a");
  const args = [
    ...process.execArgv,
    entry,
    JSON.stringify({ projectDir: root, port, controlPort, ...(staticDir ? { staticDir } : {}), ...data }),
  ];
  const child = spawn(process.execPath, args, { detached: true, stdio: ["ignore", logFd, logFd], cwd: root });
  closeSync(logFd);
  child.unref();
  const pid = child.pid ?? -1;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    const info = readEdgeFile(root);
    if (info?.pid === pid) return info;
    if (!isAlive(pid)) break;
  }
  if (isAlive(pid)) process.kill(pid, "SIGTERM");
  const tail = existsSync(paths.logFile) ? readFileSync(paths.logFile, "utf8").split("\n").slice(-12).join("\n") : "";
  throw new BlastwallError(`the local edge did not start:\n${tail}`, {
    kind: "failure",
    location: { file: paths.logFile },
    fix: "read the log above; `blastwall local up --foreground` shows the same output live",
  });
}

/** Asks the edge to stop, then waits for its process to end (SIGTERM after `timeoutMs`). */
export async function stopEdge(projectDir: string, timeoutMs = 20_000): Promise<EdgeFile | undefined> {
  const info = readEdgeFile(projectDir);
  if (!info) return undefined;
  try {
    await fetch(`http://127.0.0.1:${info.controlPort}/v1/shutdown`, {
      method: "POST",
      headers: { authorization: `Bearer ${info.token}` },
    });
  } catch {
    process.kill(info.pid, "SIGTERM");
  }
  const deadline = Date.now() + timeoutMs;
  while (isAlive(info.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (isAlive(info.pid)) process.kill(info.pid, "SIGKILL");
  return info;
}
