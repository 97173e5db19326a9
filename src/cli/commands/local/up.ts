import { basename, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError } from "../../../core/errors.js";
import type { Progress } from "../../../core/progress.js";
import { createLocalPlatform } from "../../../platform/local/client.js";
import { dashboardUrl } from "../../../platform/local/control.js";
import {
  type EdgeDataOptions,
  type EdgeFile,
  findProjectDir,
  runEdgeForeground,
  startEdgeDaemon,
} from "../../../platform/local/daemon.js";
import { likeCloudflare } from "../../../platform/local/signals.js";
import { type Duration, parseDuration } from "../../../project/blastwall-config.js";
import { loadProject } from "../../../project/discover.js";
import { type AppliedMigration, applyPendingMigrations } from "../../../release/apply-pending.js";
import { createEdgeDashboard } from "../../../ui/edge-dashboard.js";
import { defineCommand } from "../../command.js";

/** The detached edge's entry, beside the CLI (`.ts` when run from source, `.js` when built). */
function edgeMainPath(): string {
  const here = fileURLToPath(import.meta.url);
  return resolve(dirname(here), "..", "..", `edge-main${here.endsWith(".ts") ? ".ts" : ".js"}`);
}

function portOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`--${name} ${value} is not a port`, "use 0-65535 (0 picks a free port)");
  return n;
}

function durationOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  try {
    // parseDuration checks the text itself; the type only describes what it accepts.
    return parseDuration(value as Duration);
  } catch {
    throw new UsageError(`--${name} ${value} is not a duration`, "write it like 30s, 5m or 24h");
  }
}

/** `--like-cloudflare`, `--metrics-lag` and `--retention` as the edge takes them. */
function dataOptions(options: {
  "like-cloudflare"?: boolean | undefined;
  "metrics-lag"?: string | undefined;
  retention?: string | undefined;
}): EdgeDataOptions {
  const lag = durationOption(options["metrics-lag"], "metrics-lag");
  const retentionSeconds = durationOption(options.retention, "retention");
  // The environment can ask too, so a run that starts the edge for you (the demo, a drill) can be production-like.
  const like = options["like-cloudflare"] === true || process.env.BLASTWALL_LIKE_CLOUDFLARE === "1";
  if (lag !== undefined && !like) {
    throw new UsageError("--metrics-lag needs --like-cloudflare", "add --like-cloudflare, or drop --metrics-lag");
  }
  return {
    ...(like ? { metrics: likeCloudflare(lag === undefined ? {} : { lagSeconds: lag }) } : {}),
    ...(retentionSeconds ? { retentionSeconds } : {}),
  };
}

/** Applies every D1 database's pending migrations on the new edge, so the app does not answer 500 on a missing table. */
async function applyLocalMigrations(projectDir: string, out: Progress): Promise<Record<string, AppliedMigration[]>> {
  const platform = createLocalPlatform({ projectDir });
  const done = new Set<string>();
  const applied: Record<string, AppliedMigration[]> = {};
  for (const w of loadProject(projectDir).workers) {
    for (const d of w.d1_databases) {
      const database = d.database_name ?? d.binding;
      if (done.has(database)) continue;
      done.add(database);
      const worker = w.name ?? basename(dirname(w.path));
      const list = await applyPendingMigrations(platform, out, { worker, database });
      if (list.length) applied[database] = list;
    }
  }
  return applied;
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
    "skip-migrations": {
      type: "boolean",
      description: "leave pending D1 migrations unapplied (default: apply them, each after a restore point)",
    },
    dashboard: {
      type: "string",
      description: "folder of static files the control port serves at / (the dashboard stays at /dashboard)",
      valueName: "<dir>",
    },
    "like-cloudflare": {
      type: "boolean",
      description: "metrics arrive like Analytics Engine rows: after an ingestion lag, sampled at high rates",
    },
    "metrics-lag": {
      type: "string",
      description: "the ingestion lag with --like-cloudflare (default 10s)",
      valueName: "<duration>",
    },
    retention: {
      type: "string",
      description: "how long metrics, signals and analysis records are kept (default 24h; records 7 days)",
      valueName: "<duration>",
    },
  },
  json: true,
  examples: [
    "blastwall local up --project examples/shop",
    "blastwall local up --port 0 --foreground",
    "blastwall local up --like-cloudflare --metrics-lag 30s",
  ],
  run: async ({ options, cwd, out, signal }) => {
    const projectDir = findProjectDir(cwd, options.project);
    const port = portOption(options.port, "port", 8787);
    const controlPort = portOption(options["control-port"], "control-port", 0);
    const dashboard = options.dashboard;
    const staticDir = dashboard ? resolve(cwd, dashboard) : undefined;
    const data = dataOptions(options);
    const report = (info: EdgeFile, migrations: Record<string, AppliedMigration[]> = {}) => {
      if (options.json)
        out.data({
          running: true,
          ...info,
          projectDir,
          token: undefined,
          dashboardUrl: dashboardUrl(info, { withToken: false }),
          migrationsApplied: migrations,
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
        ...data,
      });
      out.line("local edge stopped");
      return 0;
    }
    const step = out.step("start local edge");
    const info = await startEdgeDaemon({ projectDir, entry: edgeMainPath(), port, controlPort, staticDir, ...data });
    step.ok(`pid ${info.pid}`);
    const migrations = options["skip-migrations"] ? {} : await applyLocalMigrations(projectDir, out);
    report(info, migrations);
    return 0;
  },
});
