import type { Command } from "./command.js";
import check from "./commands/check.js";
import d1MigrationsApply from "./commands/d1/migrations-apply.js";
import d1Restore from "./commands/d1/restore.js";
import d1RestorePoints from "./commands/d1/restore-points.js";
import deploymentsList from "./commands/deployments/list.js";
import drill from "./commands/drill.js";
import flagsList from "./commands/flags/list.js";
import flagsSet from "./commands/flags/set.js";
import localDown from "./commands/local/down.js";
import localStatus from "./commands/local/status.js";
import localUp from "./commands/local/up.js";
import metrics from "./commands/metrics.js";
import migrationsLock from "./commands/migrations/lock.js";
import plan from "./commands/plan.js";
import queuesDlqReplay from "./commands/queues/dlq-replay.js";
import queuesList from "./commands/queues/list.js";
import queuesPause from "./commands/queues/pause.js";
import queuesResume from "./commands/queues/resume.js";
import release from "./commands/release.js";
import rollback from "./commands/rollback.js";
import runbook from "./commands/runbook.js";
import versionsDeploy from "./commands/versions/deploy.js";
import versionsList from "./commands/versions/list.js";
import versionsUpload from "./commands/versions/upload.js";
import workersList from "./commands/workers/list.js";

/**
 * Every CLI command, one per file under commands/<noun>/<verb>.ts. Help groups them by `group`;
 * dispatch matches the longest name, so "queues dlq replay" and "queues pause" coexist.
 */
export const commands: readonly Command[] = [
  // Check
  check,
  migrationsLock,
  // Release
  plan,
  release,
  rollback,
  versionsUpload,
  versionsList,
  versionsDeploy,
  deploymentsList,
  metrics,
  // Local edge
  localUp,
  localDown,
  localStatus,
  // Incident
  flagsList,
  flagsSet,
  queuesPause,
  queuesResume,
  queuesList,
  queuesDlqReplay,
  d1MigrationsApply,
  d1RestorePoints,
  d1Restore,
  runbook,
  drill,
  // Project
  workersList,
];
