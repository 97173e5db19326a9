// Generated from the command files by src/cli/help-index.test.ts; do not edit. Regenerate with
// BLASTWALL_WRITE_HELP_INDEX=1 npx vitest run src/cli/help-index.test.ts
import type { CommandSummary } from "./help.js";

/** What `blastwall --help` lists, in registry order, so listing loads no command module. */
export const HELP_INDEX: readonly CommandSummary[] = [
  {
    name: "check",
    group: "Check",
    summary: "Check migrations, config and code for changes that would break production",
  },
  {
    name: "migrations lock",
    group: "Check",
    summary: "Write migrations.lock: a running hash per D1 migration that `check` verifies",
  },
  {
    name: "plan",
    group: "Release",
    summary: "Show what a release would do: version in force, pending migrations, code change, blast-window verdict",
  },
  {
    name: "release",
    group: "Release",
    summary:
      "Ship a Worker: gates, migrations, smoke checks at 0%, a canary ramp judged at every poll, promote or roll back",
  },
  {
    name: "rollback",
    group: "Release",
    summary: "Send 100% of traffic back to the last version that served 100% (or --to <id>) at once",
  },
  {
    name: "versions upload",
    group: "Release",
    summary: "Build a Worker with wrangler and upload it as a new version (it gets no traffic yet)",
  },
  {
    name: "versions list",
    group: "Release",
    summary: "List a Worker's versions, newest first, with their current traffic share",
  },
  {
    name: "versions deploy",
    group: "Release",
    summary: "Deploy a split of one or two versions, e.g. <new>@10 <old>@90",
  },
  {
    name: "deployments list",
    group: "Release",
    summary: "List a Worker's deployments and rollbacks, newest first",
  },
  {
    name: "metrics",
    group: "Release",
    summary: "Per-version requests, 5xx, exceptions and latency p50/p95/p99 over a window",
  },
  {
    name: "local up",
    group: "Local edge",
    summary: "Start the local edge: versions side by side on workerd, with a traffic-splitting router",
  },
  {
    name: "local down",
    group: "Local edge",
    summary: "Stop the local edge (state under .blastwall/local/ is kept)",
  },
  {
    name: "local status",
    group: "Local edge",
    summary: "Show whether the local edge runs, its ports and each Worker's deployment",
  },
  {
    name: "local traffic",
    group: "Local edge",
    summary: "Send steady GET traffic through the local edge, so a local canary has requests to judge",
  },
  {
    name: "flags list",
    group: "Incident",
    summary: "List ops flags (kill switches) with their value, actor and time",
  },
  {
    name: "flags set",
    group: "Incident",
    summary: "Turn an ops flag on or off (e.g. disable_writes) without a deploy",
  },
  {
    name: "queues pause",
    group: "Incident",
    summary: "Pause delivery of a queue to its consumer (messages are kept)",
  },
  {
    name: "queues resume",
    group: "Incident",
    summary: "Resume delivery of a paused queue (held messages are delivered)",
  },
  {
    name: "queues list",
    group: "Incident",
    summary: "List queues with backlog, DLQ depth and paused state",
  },
  {
    name: "queues dlq replay",
    group: "Incident",
    summary: "Re-enqueue the dead letters of a queue once the fix is out (idempotent)",
  },
  {
    name: "d1 migrations apply",
    group: "Release",
    summary: "Apply pending D1 migrations, recording a restore point before each one",
  },
  {
    name: "d1 restore-points",
    group: "Incident",
    summary: "List a D1 database's restore points, newest first",
  },
  {
    name: "d1 restore",
    group: "Incident",
    summary: "Restore a D1 database to a restore point (refuses while disable_writes is off)",
  },
  {
    name: "runbook",
    group: "Incident",
    summary: "Write the incident runbook for this project (four incidents, exact commands)",
  },
  {
    name: "drill",
    group: "Incident",
    summary: "Rehearse an incident: ship a fault locally, run the runbook's commands, time the recovery",
  },
  {
    name: "workers list",
    group: "Project",
    summary: "List the Workers in a project and their bindings",
  },
  {
    name: "doctor",
    group: "Project",
    summary: "Verify the Cloudflare API token and every permission the project's bindings need",
  },
  {
    name: "init",
    group: "Project",
    summary: "Set up blastwall in a Worker project: blastwall.config.ts, the code to add, the CI workflow",
  },
];
