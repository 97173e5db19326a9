// The incident sections of a runbook, one builder per incident kind, in the playbook's order.
import { readdirSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { sortMigrations } from "../core/migration-order.js";
import { relativeTo } from "../project/discover.js";
import { workerKinds } from "../project/handlers.js";
import type { DurableObjectMigration, WranglerConfig } from "../project/wrangler-config.js";
import { migrationOrderFor } from "../project/wrangler-version.js";
import type { RunbookIncident, RunbookStep, RunbookTarget, RunbookWorker } from "./types.js";

/** Makes the steps of one target: `cmd` a lever command with `--target`, `say` a step without a command. */
export interface StepBuilder {
  cmd(title: string, argv: string[], note?: string): RunbookStep;
  say(title: string, note?: string): RunbookStep;
}

export function stepBuilder(target: RunbookTarget): StepBuilder {
  return {
    cmd(title, argv, note) {
      const full = [...argv, "--target", target];
      return { title, argv: full, command: `blastwall ${full.join(" ")}`, ...(note ? { note } : {}) };
    },
    say: (title, note) => ({ title, ...(note ? { note } : {}) }),
  };
}

/** Durable Object classes blastwall itself ships: their migrations are blastwall's to get right, not the app's. */
const BLASTWALL_CLASSES = new Set(["BlastwallOpsFlags", "IdempotencyShard"]);

function workerName(c: WranglerConfig): string {
  return c.name ?? basename(dirname(c.path));
}

/** The Durable Object classes this Worker defines (bindings to another script's classes are not its own). */
function ownClasses(c: WranglerConfig): string[] {
  return c.durable_objects.bindings.filter((b) => !b.script_name).map((b) => b.class_name);
}

export function describeWorker(root: string, c: WranglerConfig): RunbookWorker {
  return {
    name: workerName(c),
    config: relativeTo(root, c.path),
    kinds: workerKinds(c),
    d1: c.d1_databases.map((d) => d.database_name ?? d.binding),
    queuesConsumed: c.queues.consumers.map((q) => ({
      queue: q.queue,
      ...(q.dead_letter_queue ? { deadLetterQueue: q.dead_letter_queue } : {}),
    })),
    durableObjects: ownClasses(c),
  };
}

/** Compute regression: one section per Worker that serves HTTP (whatever else it does). */
export function computeIncidents(workers: RunbookWorker[], { cmd }: StepBuilder): RunbookIncident[] {
  const http = workers.filter((w) => w.kinds.includes("http"));
  return (http.length > 0 ? http : workers).map((w) => ({
    id: "compute-regression",
    title: `Compute regression in ${w.name}`,
    subject: w.name,
    symptoms: `5xx, exceptions or latency up on ${w.name} right after a deploy or a canary step.`,
    plan: "Roll back the Worker. Data is untouched: a rollback changes code only.",
    steps: [
      cmd("See which version is failing", ["metrics", "--since", "5m"], "compare 5xx, exceptions and p99 by version"),
      cmd("See what is deployed, and what it replaced", ["deployments", "list"]),
      cmd(
        `Roll ${w.name} back to the last version that served 100%`,
        ["rollback", "--worker", w.name],
        "bindings (D1, KV, R2, Durable Objects) are not rolled back",
      ),
      cmd("Confirm errors are back to the stable rate", ["metrics", "--since", "5m"]),
    ],
  }));
}

/** Queue consumer regression: one section per consumed queue, whichever Worker consumes it. */
export function queueIncidents(workers: RunbookWorker[], steps: StepBuilder): RunbookIncident[] {
  return workers.flatMap((w) =>
    w.queuesConsumed.map((q): RunbookIncident => {
      const serves = w.kinds.includes("http") ? ` It serves HTTP too: the rollback reverts its routes as well.` : "";
      return {
        id: "queue-consumer-regression",
        title: `Queue consumer regression in ${w.name} (${q.queue})`,
        subject: q.queue,
        symptoms: `${w.name} fails or retries messages from ${q.queue}; ${q.deadLetterQueue ?? "the DLQ"} grows; downstream writes stall or repeat.`,
        plan: `Pause the queue, roll back the consumer, resume, and drain the DLQ once the fix is out.${serves}`,
        steps: queueSteps(w.name, q, steps),
      };
    }),
  );
}

function queueSteps(
  worker: string,
  q: RunbookWorker["queuesConsumed"][number],
  { cmd, say }: StepBuilder,
): RunbookStep[] {
  const dlq = q.deadLetterQueue;
  const drain = dlq
    ? [
        cmd(
          `Once the fix is out, preview the replay of ${dlq}`,
          ["queues", "dlq", "replay", q.queue, "--dry-run"],
          `lists the dead letters in ${dlq} that would go back to ${q.queue}`,
        ),
        cmd(
          `Re-enqueue the dead letters from ${dlq} into ${q.queue}`,
          ["queues", "dlq", "replay", q.queue],
          "idempotent: a message replayed twice is processed once",
        ),
      ]
    : [say(`${q.queue} has no dead_letter_queue`, "failed messages are dropped after max_retries: add one")];
  return [
    cmd(
      `Stop delivery from ${q.queue}`,
      ["queues", "pause", q.queue],
      "producers keep writing; messages wait in the queue, nothing is lost",
    ),
    cmd(`Roll back the consumer ${worker}`, ["rollback", "--worker", worker]),
    cmd(`Resume delivery from ${q.queue}`, ["queues", "resume", q.queue]),
    cmd("Watch the retries and DLQ rate settle", ["metrics", "--since", "5m"]),
    ...drain,
  ];
}

function latestMigration(config: WranglerConfig, database: string): string | undefined {
  const db = config.d1_databases.find((d) => d.database_name === database || d.binding === database);
  const dir = resolve(dirname(config.path), db?.migrations_dir ?? "migrations");
  try {
    const files = readdirSync(dir).filter((f) => f.endsWith(".sql"));
    return sortMigrations(files, { order: migrationOrderFor(dirname(config.path)) }).at(-1);
  } catch {
    return undefined;
  }
}

/** Each database once, with the first Worker that binds it (its config names the migrations) and all its users. */
function databasesOf(configs: WranglerConfig[]): Map<string, { config: WranglerConfig; workers: string[] }> {
  const databases = new Map<string, { config: WranglerConfig; workers: string[] }>();
  for (const c of configs) {
    for (const d of c.d1_databases) {
      const name = d.database_name ?? d.binding;
      const entry = databases.get(name) ?? { config: c, workers: [] };
      entry.workers.push(workerName(c));
      databases.set(name, entry);
    }
  }
  return databases;
}

/** Bad D1 migration: one section per database. */
export function d1Incidents(configs: WranglerConfig[], steps: StepBuilder): RunbookIncident[] {
  return [...databasesOf(configs)].map(([db, { config, workers: users }]) => ({
    id: "bad-d1-migration",
    title: `Bad D1 migration or data issue in ${db}`,
    subject: db,
    symptoms: `Errors or wrong data in ${db} after a migration (used by ${users.join(", ")}).`,
    plan: "Stop writes first. A Time Travel restore is the last resort: it discards every write after the bookmark.",
    steps: d1Steps(db, workerName(config), users, latestMigration(config, db) ?? "<migration>", steps),
  }));
}

function d1Steps(db: string, owner: string, users: string[], migration: string, { cmd }: StepBuilder): RunbookStep[] {
  return [
    cmd(
      "Stop writes (the kill switch)",
      ["flags", "set", "disable_writes", "on"],
      "reads and health checks keep working",
    ),
    cmd("Check the switch is on", ["flags", "list"]),
    ...users.map((w) =>
      cmd(
        `Roll back ${w} if the code that came with the migration is at fault`,
        ["rollback", "--worker", w],
        "code only: the schema stays as the migration left it",
      ),
    ),
    cmd(
      `Find the restore point recorded before the migration`,
      ["d1", "restore-points", "--database", db, "--worker", owner],
      "releases record a Time Travel bookmark before each migration; the list names the migration each one precedes",
    ),
    cmd(
      `Last resort: restore ${db} to just before the bad migration`,
      ["d1", "restore", db, "--before", migration, "--worker", owner],
      `${migration} is the newest migration here; name the one that went bad. Refused while writes are on unless --force with a reason.`,
    ),
    cmd("Turn writes back on once the data is right", ["flags", "set", "disable_writes", "off"]),
  ];
}

function touches(m: DurableObjectMigration, cls: string): boolean {
  return Boolean(
    m.new_classes?.includes(cls) ||
      m.new_sqlite_classes?.includes(cls) ||
      m.renamed_classes?.some((r) => r.to === cls || r.from === cls) ||
      m.deleted_classes?.includes(cls),
  );
}

/** Durable Object migration issue: one section per class the app defines (blastwall's own classes are left out). */
export function durableObjectIncidents(configs: WranglerConfig[], steps: StepBuilder): RunbookIncident[] {
  return configs.flatMap((c) =>
    ownClasses(c)
      .filter((cls) => !BLASTWALL_CLASSES.has(cls))
      .map((cls): RunbookIncident => {
        const tags = c.migrations.filter((m) => touches(m, cls)).map((m) => String(m.tag));
        return {
          id: "do-migration-issue",
          title: `Durable Object migration issue in ${cls} (${workerName(c)})`,
          subject: cls,
          symptoms: `${cls} objects error or answer 503 after a Durable Object migration (tags: ${tags.join(", ") || "none"}).`,
          plan: "Rolling back compute does not roll back a DO migration. Mitigate: compatibility code paths, traffic gating, or routing away from the feature.",
          steps: durableObjectSteps(cls, workerName(c), tags.at(-1), steps),
        };
      }),
  );
}

function durableObjectSteps(cls: string, worker: string, lastTag: string | undefined, { cmd, say }: StepBuilder) {
  return [
    cmd(`See ${cls} errors and overloads (503s) by version`, ["metrics", "--since", "5m"]),
    cmd(
      `Gate traffic away from the writes that reach ${cls}`,
      ["flags", "set", "disable_writes", "on"],
      "the kill switch keeps reads and health checks up",
    ),
    cmd(
      `Roll ${worker} back to code that still handles the old shape`,
      ["rollback", "--worker", worker],
      `${cls}'s migration${lastTag !== undefined ? ` (tag ${lastTag})` : ""} stays applied: the older code must cope with it`,
    ),
    say(
      "Ship a compatibility fix forward",
      "a migration goes out with `wrangler deploy`, in a release of its own; never delete or rename a class to undo one",
    ),
    cmd("Lift the gate once the fix serves", ["flags", "set", "disable_writes", "off"]),
  ];
}
