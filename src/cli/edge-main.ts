// Entry of the detached edge process started by `blastwall local up`: runs the edge until told to stop.
import { describeError } from "../core/errors.js";
import { type EdgeDataOptions, runEdgeForeground } from "../platform/local/daemon.js";
import { createEdgeDashboard } from "../ui/edge-dashboard.js";

interface EdgeMainArgs extends EdgeDataOptions {
  projectDir: string;
  port: number;
  controlPort: number;
  staticDir?: string;
}

// The edge serves many requests; one failure is logged, it never takes the process down.
process.on("unhandledRejection", (err) => {
  process.stderr.write(`${new Date().toISOString()} unhandled: ${err instanceof Error ? err.stack : String(err)}\n`);
});

const args = JSON.parse(process.argv[2] ?? "{}") as EdgeMainArgs;
try {
  await runEdgeForeground({
    ...args,
    dashboard: createEdgeDashboard,
    log: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
    onReady: (info) =>
      process.stderr.write(
        `${new Date().toISOString()} local edge ready: router http://127.0.0.1:${info.routerPort}, control http://127.0.0.1:${info.controlPort} (pid ${info.pid})\n`,
      ),
  });
  process.exit(0);
} catch (err) {
  process.stderr.write(`${describeError(err)}\n`);
  process.exit(1);
}
