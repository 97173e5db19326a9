import { existsSync, readFileSync } from "node:fs";
import { edgePaths } from "./state.js";

// What a client needs to find a running edge, apart from the daemon and the control server so that a lever loads
// neither (nor the Hono server they pull in).

/** What `.blastwall/local/edge.json` holds while an edge runs. */
export interface EdgeFile {
  pid: number;
  projectDir: string;
  routerPort: number;
  controlPort: number;
  /** Bearer token of the control API. The file is written with mode 0600. */
  token: string;
  startedAt: string;
  /** workerd processes this edge runs (Linux), so a restart after SIGKILL can end the orphans. */
  runtimePids?: number[];
}

/** Whether a process runs. A zombie (killed, not yet reaped by its parent or init) counts as dead. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.charAt(stat.lastIndexOf(")") + 2) !== "Z";
  } catch {
    // No /proc (macOS): kill(0) is all there is.
    return true;
  }
}

/** The running edge of a project, or undefined (a stale file left by a killed edge counts as not running). */
export function readEdgeFile(projectDir: string): EdgeFile | undefined {
  const file = edgePaths(projectDir).edgeFile;
  if (!existsSync(file)) return undefined;
  try {
    const info = JSON.parse(readFileSync(file, "utf8")) as EdgeFile;
    return isAlive(info.pid) ? info : undefined;
  } catch {
    return undefined;
  }
}

/** Where the control server serves the live dashboard (also at `/` when no static folder is installed). */
export const DASHBOARD_PATH = "/dashboard";

/**
 * The live dashboard's address. The token rides in the fragment, which browsers never send to a server: the page
 * reads it, keeps it for the tab's session and drops it from the address bar. JSON output leaves it out
 * (`withToken: false`), as it leaves out the token everywhere.
 */
export function dashboardUrl(
  { controlPort, token }: { controlPort: number; token: string },
  { withToken = true }: { withToken?: boolean } = {},
): string {
  return `http://127.0.0.1:${controlPort}${DASHBOARD_PATH}${withToken ? `#token=${token}` : ""}`;
}
