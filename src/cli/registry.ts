import type { Command } from "./command.js";
import plan from "./commands/plan.js";
import release from "./commands/release.js";
import runbook from "./commands/runbook.js";
import workersList from "./commands/workers/list.js";

/**
 * Every CLI command, one per file under commands/<noun>/<verb>.ts. Help groups them by `group`;
 * dispatch matches the longest name, so "queues dlq replay" and "queues pause" coexist.
 */
export const commands: readonly Command[] = [
  // Release
  plan,
  release,
  // Incident
  runbook,
  // Project
  workersList,
];
