import type { MigrationClass } from "../check/findings.js";
import type { DurableObjectMigration } from "../project/wrangler-config.js";
import { type ClassifiedStatement, isIrreversible } from "./classify-migration.js";

/**
 * The blast-window rule: never combine an irreversible data change with an untested code change. Pure: `plan`
 * gathers the facts from the platform and the project, this decides.
 */

export interface PendingD1Migration {
  /** Database name as the platform knows it. */
  database: string;
  /** File name, e.g. "0004_drop_legacy.sql". */
  name: string;
  /** Path relative to the project, for messages. */
  file: string;
  class: MigrationClass;
  statements: ClassifiedStatement[];
  /** The migrations folder, for the split instructions. */
  dir: string;
}

export interface PendingDoMigration {
  tag: string;
  /** Classes this migration creates (additive). */
  added: string[];
  /** Deletions, renames and transfers: data that cannot come back. */
  irreversible: string[];
}

export interface CodeChange {
  changed: boolean;
  /** With numbers, e.g. "bundle 3fa2c1d0 ≠ in force 9b1e7a44". */
  detail: string;
}

export interface BlastWindowInput {
  worker: string;
  code: CodeChange;
  d1: PendingD1Migration[];
  durableObjects: PendingDoMigration[];
  /** How long the version in force has served 100 %, in seconds; undefined when split or never deployed. */
  inForceAt100Seconds: number | undefined;
  soakSeconds: number;
  /** `--override <reason>`. */
  override?: string;
}

export interface ScheduledMigration {
  database: string;
  name: string;
  class: MigrationClass;
  /** Expand migrations go before the code; irreversible ones only after it (override) or with no code change. */
  when: "before-code" | "after-promotion";
}

export interface BlastWindowVerdict {
  verdict: "go" | "refuse";
  /** One line each, with the evidence. */
  reasons: string[];
  /** The irreversible changes this release carries. */
  irreversible: string[];
  /** When refused: the two releases to run instead. */
  split: string[];
  overridden: boolean;
  migrations: ScheduledMigration[];
}

/** Classifies the Durable Object migrations of a wrangler config that come after the tag the platform has applied. */
export function pendingDoMigrations(
  migrations: readonly DurableObjectMigration[],
  appliedTag: string | undefined,
): PendingDoMigration[] {
  const idx = appliedTag === undefined ? -1 : migrations.findIndex((m) => String(m.tag) === appliedTag);
  return migrations.slice(idx + 1).map((m) => ({
    tag: String(m.tag),
    added: [...(m.new_classes ?? []), ...(m.new_sqlite_classes ?? [])],
    irreversible: [
      ...(m.deleted_classes ?? []).map((c) => `deletes class ${c} and all its data`),
      ...(m.renamed_classes ?? []).map((r) => `renames class ${r.from} → ${r.to}`),
      ...(m.transferred_classes ?? []).map((t) => `transfers class ${t.from} from ${t.from_script} as ${t.to}`),
    ],
  }));
}

function describeMigration(m: PendingD1Migration): string {
  const first = m.statements.find((s) => s.kind !== "expand" && s.kind !== "neutral");
  const why = first ? `: ${first.summary}… at line ${first.line}` : "";
  return `${m.file} (${m.class}${why})`;
}

function minutes(seconds: number): string {
  return seconds >= 90 ? `${Math.round(seconds / 60)} min` : `${Math.round(seconds)} s`;
}

/**
 * Decides whether one release may go, and in what order its migrations run.
 *
 * @example
 * const v = decideBlastWindow({ worker: "shop-api", code: { changed: true, detail: "bundle a ≠ b" }, d1: [contract],
 *   durableObjects: [], inForceAt100Seconds: 7200, soakSeconds: 1800 });
 * v.verdict; // "refuse"; v.split holds the two releases
 */
export function decideBlastWindow(input: BlastWindowInput): BlastWindowVerdict {
  const { worker, code, d1, durableObjects, inForceAt100Seconds, soakSeconds, override } = input;
  const firstIrreversible = d1.findIndex((m) => isIrreversible(m.class));
  const irreversibleD1 = d1.filter((m) => isIrreversible(m.class));
  const irreversibleDo = durableObjects.filter((m) => m.irreversible.length > 0);
  const irreversible = [
    ...irreversibleD1.map(describeMigration),
    ...irreversibleDo.map((m) => `Durable Object migration ${m.tag} (${m.irreversible.join("; ")})`),
  ];
  const schedule = (after: boolean): ScheduledMigration[] =>
    d1.map((m, i) => ({
      database: m.database,
      name: m.name,
      class: m.class,
      when: after && firstIrreversible >= 0 && i >= firstIrreversible ? "after-promotion" : "before-code",
    }));
  const reasons: string[] = [];
  if (irreversible.length === 0) {
    reasons.push(
      d1.length + durableObjects.length === 0
        ? `no pending data changes; ${code.changed ? `code changed (${code.detail})` : "code unchanged"}`
        : `only additive data changes (${[...d1.map((m) => `${m.name}: ${m.class}`), ...durableObjects.map((m) => `DO ${m.tag}: adds ${m.added.join(", ") || "nothing"}`)].join(", ")}), applied before the code`,
    );
    return { verdict: "go", reasons, irreversible, split: [], overridden: false, migrations: schedule(false) };
  }

  let problem: string | undefined;
  const split: string[] = [];
  if (code.changed) {
    problem = `this release carries an irreversible data change (${irreversible.join("; ")}) and changes code (${code.detail})`;
    const held = firstIrreversible >= 0 ? d1.slice(firstIrreversible) : [];
    const early = firstIrreversible >= 0 ? d1.slice(0, firstIrreversible) : d1;
    const dirs = [...new Set(held.map((m) => m.dir))];
    split.push(
      `release 1, the code: ${early.length > 0 ? `with the expand migrations ${early.map((m) => m.name).join(", ")}; ` : ""}` +
        `${held.length > 0 ? `move ${held.map((m) => m.name).join(", ")} out of ${dirs.join(", ")} until release 2` : ""}` +
        `${held.length > 0 && irreversibleDo.length > 0 ? "; " : ""}` +
        `${irreversibleDo.length > 0 ? `leave Durable Object migration ${irreversibleDo.map((m) => m.tag).join(", ")} out of the wrangler config \`migrations\` (keep the old classes exported)` : ""}` +
        `, then \`blastwall release --worker ${worker}\``,
      `release 2, the data change: once release 1 has served 100% for ${minutes(soakSeconds)}, put them back and run \`blastwall release --worker ${worker}\` with no code change`,
    );
  } else if (inForceAt100Seconds === undefined || inForceAt100Seconds < soakSeconds) {
    const served =
      inForceAt100Seconds === undefined
        ? "has not served 100% yet"
        : `has served 100% for ${minutes(inForceAt100Seconds)}`;
    problem = `the code in force is untested: it ${served}, the soak time is ${minutes(soakSeconds)}; irreversible: ${irreversible.join("; ")}`;
    const wait = soakSeconds - (inForceAt100Seconds ?? 0);
    split.push(
      `wait ${minutes(Math.max(0, wait))} more at 100%, then run \`blastwall release --worker ${worker}\` again`,
    );
  }

  if (!problem) {
    reasons.push(
      `irreversible data change (${irreversible.join("; ")}) with no code change; the code in force has served 100% for ${minutes(inForceAt100Seconds ?? 0)} ≥ soak ${minutes(soakSeconds)}`,
    );
    return { verdict: "go", reasons, irreversible, split: [], overridden: false, migrations: schedule(false) };
  }
  reasons.push(problem);
  if (override !== undefined) {
    reasons.push(`overridden: "${override}"; irreversible migrations run only after the code is promoted`);
    return { verdict: "go", reasons, irreversible, split, overridden: true, migrations: schedule(code.changed) };
  }
  return { verdict: "refuse", reasons, irreversible, split, overridden: false, migrations: schedule(false) };
}
