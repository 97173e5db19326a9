import { readdirSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { sortMigrations } from "../core/migration-order.js";
import { relativeTo } from "../project/discover.js";
import type { WranglerConfig } from "../project/wrangler-config.js";
import { migrationOrderFor } from "../project/wrangler-version.js";

/**
 * The incident runbook of one project, written from its wrangler configs: which Worker serves HTTP, which
 * consumes which queue into which dead-letter queue, which D1 databases and Durable Object classes exist. Every
 * step is a lever command with this project's names, so a tired person copies it, and a drill can run it.
 */

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
  role: "http" | "queue-consumer";
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

function workerName(c: WranglerConfig): string {
  return c.name ?? basename(dirname(c.path));
}

function latestMigration(config: WranglerConfig, database: string): string | undefined {
  const db = config.d1_databases.find((d) => d.database_name === database || d.binding === database);
  const dir = resolve(dirname(config.path), db?.migrations_dir ?? "migrations");
  try {
    return sortMigrations(
      readdirSync(dir).filter((f) => f.endsWith(".sql")),
      { order: migrationOrderFor(dirname(config.path)) },
    ).at(-1);
  } catch {
    return undefined;
  }
}

/**
 * Builds the runbook for a project's Workers.
 *
 * @example
 * const runbook = buildRunbook(loadProject("examples/shop"));
 * runbook.incidents.map((i) => i.id); // ["compute-regression", "queue-consumer-regression", ...]
 */
export function buildRunbook(
  project: { root: string; workers: WranglerConfig[] },
  { target = "cloudflare", projectName = basename(project.root) }: RunbookOptions = {},
): Runbook {
  const cmd = (title: string, argv: string[], note?: string): RunbookStep => {
    const full = [...argv, "--target", target];
    return { title, argv: full, command: `blastwall ${full.join(" ")}`, ...(note ? { note } : {}) };
  };
  const say = (title: string, note?: string): RunbookStep => ({ title, ...(note ? { note } : {}) });

  const workers: RunbookWorker[] = project.workers.map((c) => ({
    name: workerName(c),
    config: relativeTo(project.root, c.path),
    role: c.queues.consumers.length > 0 ? "queue-consumer" : "http",
    d1: c.d1_databases.map((d) => d.database_name ?? d.binding),
    queuesConsumed: c.queues.consumers.map((q) => ({
      queue: q.queue,
      ...(q.dead_letter_queue ? { deadLetterQueue: q.dead_letter_queue } : {}),
    })),
    durableObjects: c.durable_objects.bindings.filter((b) => !b.script_name).map((b) => b.class_name),
  }));
  const http = workers.filter((w) => w.role === "http");
  const incidents: RunbookIncident[] = [];

  // Compute regression: one section per HTTP Worker.
  for (const w of http.length > 0 ? http : workers) {
    incidents.push({
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
    });
  }

  // Queue consumer regression: one section per consumed queue.
  for (const w of workers) {
    for (const q of w.queuesConsumed) {
      const dlq = q.deadLetterQueue;
      incidents.push({
        id: "queue-consumer-regression",
        title: `Queue consumer regression in ${w.name} (${q.queue})`,
        subject: q.queue,
        symptoms: `${w.name} fails or retries messages from ${q.queue}; ${dlq ?? "the DLQ"} grows; downstream writes stall or repeat.`,
        plan: "Pause the queue, roll back the consumer, resume, and drain the DLQ once the fix is out.",
        steps: [
          cmd(
            `Stop delivery from ${q.queue}`,
            ["queues", "pause", q.queue],
            "producers keep writing; messages wait in the queue, nothing is lost",
          ),
          cmd(`Roll back the consumer ${w.name}`, ["rollback", "--worker", w.name]),
          cmd(`Resume delivery from ${q.queue}`, ["queues", "resume", q.queue]),
          cmd("Watch the retries and DLQ rate settle", ["metrics", "--since", "5m"]),
          dlq
            ? cmd(
                `Once the fix is out, preview the replay of ${dlq}`,
                ["queues", "dlq", "replay", q.queue, "--dry-run"],
                `lists the dead letters in ${dlq} that would go back to ${q.queue}`,
              )
            : say(`${q.queue} has no dead_letter_queue`, "failed messages are dropped after max_retries: add one"),
          ...(dlq
            ? [
                cmd(
                  `Re-enqueue the dead letters from ${dlq} into ${q.queue}`,
                  ["queues", "dlq", "replay", q.queue],
                  "idempotent: a message replayed twice is processed once",
                ),
              ]
            : []),
        ],
      });
    }
  }

  // Bad D1 migration: one section per database.
  const databases = new Map<string, { config: WranglerConfig; workers: string[] }>();
  for (const c of project.workers) {
    for (const d of c.d1_databases) {
      const name = d.database_name ?? d.binding;
      const entry = databases.get(name) ?? { config: c, workers: [] };
      entry.workers.push(workerName(c));
      databases.set(name, entry);
    }
  }
  for (const [db, { config, workers: users }] of databases) {
    const migration = latestMigration(config, db) ?? "<migration>";
    incidents.push({
      id: "bad-d1-migration",
      title: `Bad D1 migration or data issue in ${db}`,
      subject: db,
      symptoms: `Errors or wrong data in ${db} after a migration (used by ${users.join(", ")}).`,
      plan: "Stop writes first. A Time Travel restore is the last resort: it discards every write after the bookmark.",
      steps: [
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
          "Find the restore point recorded before the migration",
          ["deployments", "list"],
          "releases record a Time Travel bookmark (`bw:rp`) before each migration",
        ),
        cmd(
          `Last resort: restore ${db} to just before the bad migration`,
          ["d1", "restore", db, "--before", migration],
          `${migration} is the newest migration here; name the one that went bad. Refused while writes are on unless --force with a reason.`,
        ),
        cmd("Turn writes back on once the data is right", ["flags", "set", "disable_writes", "off"]),
      ],
    });
  }

  // Durable Object migration issue: one section per class defined here.
  for (const c of project.workers) {
    const name = workerName(c);
    const classes = c.durable_objects.bindings.filter((b) => !b.script_name).map((b) => b.class_name);
    for (const cls of classes) {
      const tags = c.migrations.filter(
        (m) =>
          m.new_classes?.includes(cls) ||
          m.new_sqlite_classes?.includes(cls) ||
          m.renamed_classes?.some((r) => r.to === cls || r.from === cls) ||
          m.deleted_classes?.includes(cls),
      );
      const lastTag = c.migrations.at(-1)?.tag;
      incidents.push({
        id: "do-migration-issue",
        title: `Durable Object migration issue in ${cls} (${name})`,
        subject: cls,
        symptoms: `${cls} objects error or answer 503 after a Durable Object migration (tags: ${tags.map((t) => String(t.tag)).join(", ") || "none"}).`,
        plan: "Rolling back compute does not roll back a DO migration. Mitigate: compatibility code paths, traffic gating, or routing away from the feature.",
        steps: [
          cmd(`See ${cls} errors and overloads (503s) by version`, ["metrics", "--since", "5m"]),
          cmd(
            `Gate traffic away from the writes that reach ${cls}`,
            ["flags", "set", "disable_writes", "on"],
            "the kill switch keeps reads and health checks up",
          ),
          cmd(
            `Roll ${name} back to code that still handles the old shape`,
            ["rollback", "--worker", name],
            `the migration${lastTag !== undefined ? ` (tag ${String(lastTag)})` : ""} stays applied: the older code must cope with it`,
          ),
          say(
            "Ship a compatibility fix forward",
            "a migration goes out with `wrangler deploy`, in a release of its own; never delete or rename a class to undo one",
          ),
          cmd("Lift the gate once the fix serves", ["flags", "set", "disable_writes", "off"]),
        ],
      });
    }
  }

  return { project: projectName, target, workers, incidents };
}

const INCIDENT_ORDER: IncidentId[] = [
  "compute-regression",
  "queue-consumer-regression",
  "bad-d1-migration",
  "do-migration-issue",
];

/** Renders the runbook as Markdown: the project's resources, then each incident's commands in order. */
export function renderRunbook(runbook: Runbook): string {
  const lines: string[] = [
    `# Incident runbook: ${runbook.project}`,
    "",
    `Generated by \`blastwall runbook\` from this project's wrangler configs. Target: \`${runbook.target}\`.`,
    "Run the commands in order. Each one prints what it changed; stop and ask if it does not.",
    "",
    "## Workers",
    "",
    "| Worker | role | config | D1 | consumes → DLQ | Durable Objects |",
    "|---|---|---|---|---|---|",
  ];
  for (const w of runbook.workers) {
    const consumes = w.queuesConsumed.map((q) => `${q.queue} → ${q.deadLetterQueue ?? "(no DLQ)"}`).join(", ");
    lines.push(
      `| ${w.name} | ${w.role} | \`${w.config}\` | ${w.d1.join(", ") || "-"} | ${consumes || "-"} | ${w.durableObjects.join(", ") || "-"} |`,
    );
  }
  for (const id of INCIDENT_ORDER) {
    for (const incident of runbook.incidents.filter((i) => i.id === id)) {
      lines.push(
        "",
        `## ${incident.title}`,
        "",
        `**Symptoms.** ${incident.symptoms}`,
        "",
        `**Plan.** ${incident.plan}`,
        "",
      );
      incident.steps.forEach((s, i) => {
        lines.push(`${i + 1}. ${s.title}`);
        if (s.note) lines.push(`   _${s.note}_`);
        if (s.command) lines.push("", "   ```sh", `   ${s.command}`, "   ```", "");
      });
    }
  }
  const missing = INCIDENT_ORDER.filter((id) => !runbook.incidents.some((i) => i.id === id));
  if (missing.length > 0) {
    lines.push("", "## Not applicable here", "");
    for (const id of missing) lines.push(`- ${id}: this project has nothing it applies to.`);
  }
  return `${lines.join("\n").replace(/\n{3,}/g, "\n\n")}\n`;
}
