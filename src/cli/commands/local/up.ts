import { resolve } from "node:path";
import { UsageError } from "../../../core/errors.js";
import { dashboardUrl } from "../../../platform/local/control.js";
import { type EdgeFile, runEdgeForeground, startEdgeDaemon } from "../../../platform/local/daemon.js";
import { createEdgeDashboard } from "../../../ui/edge-dashboard.js";
import { defineCommand } from "../../command.js";

function portOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`--${name} ${value} is not a port`, "use 0-65535 (0 picks a free port)");
  return n;
}

/** `blastwall local up`: starts the local edge (detached unless --foreground). */
export default defineCommand({
  name: "local up",
  group: "Local edge",
  summary: "Start the local edge: versions side by side on workerd, with a traffic-splitting router",
  description:
    "Runs every uploaded version as its own worker in one Miniflare, all bound to the same D1, KV, R2 and queues. State lives under <project>/.blastwall/local/ and survives restarts.",
  options: {
    port: {
      type: "string",
      description: "router port on 127.0.0.1 (default 8787; 0 picks a free one)",
      valueName: "<port>",
    },
    "control-port": { type: "string", description: "control API port (default: a free one)", valueName: "<port>" },
    project: { type: "string", description: "project folder (default: cwd)", valueName: "<dir>" },
    foreground: { type: "boolean", description: "stay attached and log to the terminal" },
    dashboard: {
      type: "string",
      description: "folder of static files the control port serves at / (the dashboard stays at /dashboard)",
      valueName: "<dir>",
    },
  },
  json: true,
  examples: ["blastwall local up --project examples/shop", "blastwall local up --port 0 --foreground"],
  run: async ({ options, cwd, out, signal }) => {
    const projectDir = resolve(cwd, options.project ?? ".");
    const port = portOption(options.port, "port", 8787);
    const controlPort = portOption(options["control-port"], "control-port", 0);
    const dashboard = options.dashboard;
    const staticDir = dashboard ? resolve(cwd, dashboard) : undefined;
    const report = (info: EdgeFile) => {
      if (options.json)
        out.data({
          running: true,
          ...info,
          projectDir,
          token: undefined,
          dashboardUrl: dashboardUrl(info, { withToken: false }),
        });
      out.line(`local edge up (pid ${info.pid})`);
      out.line(`  router     http://127.0.0.1:${info.routerPort}`);
      out.line(`  control    http://127.0.0.1:${info.controlPort}  (token in .blastwall/local/edge.json)`);
      out.line(`  dashboard  ${dashboardUrl(info)}`);
    };
    if (options.foreground) {
      await runEdgeForeground({
        projectDir,
        port,
        controlPort,
        staticDir,
        signal,
        onReady: report,
        dashboard: createEdgeDashboard,
      });
      out.line("local edge stopped");
      return 0;
    }
    const step = out.step("start local edge");
    const info = await startEdgeDaemon({ projectDir, port, controlPort, staticDir });
    step.ok(`pid ${info.pid}`);
    report(info);
    return 0;
  },
});
