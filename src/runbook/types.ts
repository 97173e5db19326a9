// The runbook's data: what `blastwall runbook --json` prints and drills read.
import type { WorkerKind } from "../project/handlers.js";

export type IncidentId = "compute-regression" | "queue-consumer-regression" | "bad-d1-migration" | "do-migration-issue";
export type RunbookTarget = "local" | "cloudflare";

export interface RunbookStep {
  /** What this step does, in a few words. */
  title: string;
  /** The lever command as argv (without the leading `blastwall`), when the step is a command. */
  argv?: string[];
  /** The same command, as typed. */
  command?: string;
  /** Why, or what to look for. */
  note?: string;
}

export interface RunbookIncident {
  id: IncidentId;
  title: string;
  /** What it looks like, and the buttons in one line (the playbook's plan). */
  symptoms: string;
  plan: string;
  /** Which project resources this incident is about (a Worker, a queue, a database, a class). */
  subject: string;
  steps: RunbookStep[];
}

export interface RunbookWorker {
  name: string;
  config: string;
  /** Everything the Worker is: one Worker may serve HTTP, consume queues and run on a schedule at once. */
  kinds: WorkerKind[];
  d1: string[];
  queuesConsumed: { queue: string; deadLetterQueue?: string }[];
  durableObjects: string[];
}

export interface Runbook {
  project: string;
  target: RunbookTarget;
  workers: RunbookWorker[];
  incidents: RunbookIncident[];
}

export interface RunbookOptions {
  /** The target every command names with `--target`. Default: cloudflare (production). */
  target?: RunbookTarget;
  /** Shown as the project's name; default: the folder's name. */
  projectName?: string;
}
