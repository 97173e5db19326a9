import type { Command } from "./command.js";

/**
 * Every CLI command, one per file under commands/<noun>/<verb>.ts, by name. Modules load on demand, so
 * `blastwall flags set` never pays for TypeScript or Miniflare. Help groups them by `group`; dispatch matches the
 * longest name, so "queues dlq replay" and "queues pause" coexist.
 */
export const commandModules: Readonly<Record<string, () => Promise<{ default: Command }>>> = {
  // Check
  check: () => import("./commands/check.js"),
  "migrations lock": () => import("./commands/migrations/lock.js"),
  // Release
  plan: () => import("./commands/plan.js"),
  release: () => import("./commands/release.js"),
  rollback: () => import("./commands/rollback.js"),
  "versions upload": () => import("./commands/versions/upload.js"),
  "versions list": () => import("./commands/versions/list.js"),
  "versions deploy": () => import("./commands/versions/deploy.js"),
  "deployments list": () => import("./commands/deployments/list.js"),
  metrics: () => import("./commands/metrics.js"),
  // Local edge
  "local up": () => import("./commands/local/up.js"),
  "local down": () => import("./commands/local/down.js"),
  "local status": () => import("./commands/local/status.js"),
  "local traffic": () => import("./commands/local/traffic.js"),
  // Incident
  "flags list": () => import("./commands/flags/list.js"),
  "flags set": () => import("./commands/flags/set.js"),
  "queues pause": () => import("./commands/queues/pause.js"),
  "queues resume": () => import("./commands/queues/resume.js"),
  "queues list": () => import("./commands/queues/list.js"),
  "queues dlq replay": () => import("./commands/queues/dlq-replay.js"),
  "d1 migrations apply": () => import("./commands/d1/migrations-apply.js"),
  "d1 restore-points": () => import("./commands/d1/restore-points.js"),
  "d1 restore": () => import("./commands/d1/restore.js"),
  runbook: () => import("./commands/runbook.js"),
  drill: () => import("./commands/drill.js"),
  // Project
  "workers list": () => import("./commands/workers/list.js"),
  doctor: () => import("./commands/doctor.js"),
  init: () => import("./commands/init.js"),
};

/** Every command, loaded (for `--help` and tests). */
export async function loadCommands(): Promise<Command[]> {
  return Promise.all(Object.values(commandModules).map(async (load) => (await load()).default));
}
