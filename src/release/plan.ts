import { existsSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { classifyFolder, type FileClass } from "../check/d1/folder-classes.js";
import type {
  Deployment,
  PlatformD1,
  PlatformSignals,
  PlatformTarget,
  PlatformVersions,
  TargetName,
  VersionInfo,
} from "../platform/platform.js";
import type { ResolvedWorkerConfig } from "../project/blastwall-config.js";
import { bindingMigrations, listMigrationFiles } from "../project/d1-migrations.js";
import type { WranglerConfig } from "../project/wrangler-config.js";
import { migrationOrderFor } from "../project/wrangler-version.js";
import { enabledTests, resolveAnalysisOptions } from "./analysis/analyze.js";
import { type StepTarget, stepTargets, type Traffic } from "./analysis/sample-size.js";
import {
  type BlastWindowVerdict,
  type CodeChange,
  decideBlastWindow,
  type PendingD1Migration,
  type PendingDoMigration,
  pendingDoMigrations,
} from "./blast-window.js";
import {
  classifyMigrationFile,
  isIrreversible,
  type MigrationClassification,
  type MigrationClassifier,
} from "./classify-migration.js";
import { readTraffic } from "./pre-release.js";
import { bundleOf, decideStart, type StartDecision, sameBundle, secondsAt100 } from "./state.js";

/** What a release would do, read from the platform and the project; `blastwall plan` prints it. */
export interface ReleasePlan {
  worker: string;
  target: TargetName;
  /** First 16 hex characters of the new bundle's sha256. */
  bundle: string;
  inForce:
    | {
        deployment: string;
        message: string | undefined;
        split: { versionId: string; percentage: number; bundle: string | undefined }[];
        /** Seconds the version in force has served 100 %. */
        at100Seconds: number | undefined;
      }
    | undefined;
  start: StartDecision;
  d1: PendingD1Migration[];
  /** Tag of the last Durable Object migration applied, when the platform can tell. */
  durableObjectTag: { known: boolean; tag: string | undefined };
  durableObjects: PendingDoMigration[];
  code: CodeChange;
  blastWindow: BlastWindowVerdict;
  /**
   * The Worker's traffic before the release, and each ramp step's minimum samples derived from it, with a
   * warning for each step that cannot reach its minimum before its deadline. Undefined: no stable version yet.
   */
  traffic: { rps: number; errorRate: number; steps: StepTarget[] } | undefined;
}

/** The capabilities a plan reads: versions and deployments, D1 migrations, and the pre-release signals. */
export type PlanPlatform = PlatformTarget & PlatformVersions & PlatformD1 & PlatformSignals;

export interface GatherPlanOptions {
  platform: PlanPlatform;
  projectDir: string;
  wrangler: WranglerConfig;
  config: ResolvedWorkerConfig;
  bundleHash: string;
  env?: string;
  now?: Date;
  override?: string;
  /** How pending D1 migrations are classified; default: the statement-level classifier. */
  classify?: MigrationClassifier;
}

/** The Worker's name as the platform knows it. */
export function workerName(w: WranglerConfig): string {
  return w.name ?? basename(dirname(w.path));
}

/**
 * The replay's class (check's, net effect per file), or, where a statement failed on the replayed history (a table
 * made outside migrations), the stricter of it and the statement-level fallback: plan never calls such a file
 * reversible on a partial replay.
 */
function classOf(replayed: FileClass | undefined, fallback: () => MigrationClassification): MigrationClassification {
  if (replayed?.replayed) return replayed;
  const f = fallback();
  if (!replayed || (isIrreversible(f.class) && !isIrreversible(replayed.class))) return f;
  return replayed;
}

/**
 * Pending D1 migrations of every database the Worker binds, classified by check's replay, in apply order: listed as
 * check, the local edge and the Cloudflare target list them (migrations_pattern, wrangler's order).
 */
export async function pendingD1(
  platform: Pick<PlatformD1, "listMigrations">,
  projectDir: string,
  wrangler: WranglerConfig,
  classify: MigrationClassifier = classifyMigrationFile,
): Promise<PendingD1Migration[]> {
  const worker = workerName(wrangler);
  const out: PendingD1Migration[] = [];
  const seen = new Set<string>();
  for (const db of wrangler.d1_databases) {
    const database = db.database_name ?? db.binding;
    const listing = bindingMigrations(wrangler, db, migrationOrderFor(projectDir));
    const dir = listing.dir;
    if (seen.has(`${database}|${dir}`) || !existsSync(dir)) continue;
    seen.add(`${database}|${dir}`);
    const files = listMigrationFiles(dir, listing.order, listing.pattern);
    const applied = new Set(
      (await platform.listMigrations(worker, database)).filter((m) => m.applied).map((m) => m.name),
    );
    const pending = files.filter((name) => !applied.has(name) && !applied.has(name.replace(/\.sql$/, "")));
    // The replay reads the whole history; with nothing pending there is nothing to classify.
    if (pending.length === 0) continue;
    const replayed = classifyFolder(dir, files, listing.table ? { migrationsTable: listing.table } : {});
    for (const name of pending) {
      const c = classOf(replayed.get(name), () => classify(join(dir, name)));
      out.push({
        database,
        name,
        file: relative(projectDir, join(dir, name)),
        class: c.class,
        statements: c.statements,
        dir: relative(projectDir, dir) || ".",
      });
    }
  }
  return out;
}

function codeChange(bundleHash: string, inForce: VersionInfo | undefined, current: Deployment | undefined): CodeChange {
  const mine = bundleHash.slice(0, 16);
  if (!current) return { changed: true, detail: `first deployment, bundle ${mine.slice(0, 8)}` };
  const theirs = bundleOf(inForce);
  if (!theirs) {
    return {
      changed: true,
      detail: `version in force ${inForce?.id.slice(0, 8) ?? "?"} has no bundle hash (not released by blastwall)`,
    };
  }
  return sameBundle(theirs, bundleHash)
    ? { changed: false, detail: `bundle ${mine.slice(0, 8)} = in force ${inForce?.id.slice(0, 8)}` }
    : { changed: true, detail: `bundle ${mine.slice(0, 8)} ≠ in force ${theirs.slice(0, 8)}` };
}

/** The pre-release traffic and what it means for each ramp step's minimum samples. */
async function planTraffic(
  platform: PlatformSignals,
  worker: string,
  stable: string,
  config: ResolvedWorkerConfig,
  now: Date,
  env: string | undefined,
): Promise<ReleasePlan["traffic"]> {
  let traffic: Traffic;
  try {
    ({ traffic } = await readTraffic({ platform, worker, stable, now, ...(env ? { env } : {}) }));
  } catch {
    // Without a traffic reading the configured minimums stand; the ramp says so when it cannot read metrics.
    return undefined;
  }
  const a = config.analysis;
  const tests = enabledTests(
    resolveAnalysisOptions({ ...a, watch: config.watch, preRelease: { requests: 0, seconds: traffic.seconds } }),
  ).length;
  const steps = stepTargets({
    steps: config.steps,
    traffic,
    alpha: a.alpha,
    tests: tests + (a.latencyQuantiles.length > 0 ? 1 : 0),
    toleratedIncrease: a.toleratedIncrease,
    minSamples: a.minSamples,
    deadlineSeconds: config.noData.deadlineSeconds,
  });
  return { rps: traffic.rps, errorRate: traffic.errorRate, steps };
}

/**
 * Reads the platform and the project, and decides the blast window.
 *
 * @example
 * const plan = await gatherPlan({ platform, projectDir, wrangler, config, bundleHash });
 * plan.blastWindow.verdict; // "go" | "refuse"
 */
export async function gatherPlan({
  platform,
  projectDir,
  wrangler,
  config,
  bundleHash,
  env,
  now = new Date(),
  override,
  classify = classifyMigrationFile,
}: GatherPlanOptions): Promise<ReleasePlan> {
  const worker = workerName(wrangler);
  const [current, deployments, versions] = await Promise.all([
    platform.currentDeployment(worker, env),
    platform.listDeployments(worker, env),
    platform.listVersions(worker, env),
  ]);
  const start = decideStart(current, versions, bundleHash);
  // The version the code is compared with: the stable side of an in-flight release, else the biggest share.
  const stableId =
    start.kind === "resume" || start.kind === "abandon"
      ? start.stable
      : [...(current?.versions ?? [])].sort((a, b) => b.percentage - a.percentage)[0]?.versionId;
  const stable = versions.find((v) => v.id === stableId);
  const code = codeChange(bundleHash, stable, current);
  const at100Seconds = secondsAt100(deployments, now);

  const d1 = await pendingD1(platform, projectDir, wrangler, classify);
  const settings = env ? (wrangler.env[env] ?? wrangler) : wrangler;
  const tagKnown = platform.durableObjectMigrationTag !== undefined || !current;
  const tag = platform.durableObjectMigrationTag ? await platform.durableObjectMigrationTag(worker, env) : undefined;
  const durableObjects = tagKnown ? pendingDoMigrations(settings.migrations, tag) : [];

  const blastWindow = decideBlastWindow({
    worker,
    code,
    d1,
    durableObjects,
    inForceAt100Seconds: at100Seconds,
    soakSeconds: config.soakSeconds,
    ...(override !== undefined ? { override } : {}),
  });
  const traffic = stableId ? await planTraffic(platform, worker, stableId, config, now, env) : undefined;
  return {
    traffic,
    worker,
    target: platform.target,
    bundle: bundleHash.slice(0, 16),
    inForce: current
      ? {
          deployment: current.id,
          message: current.message,
          split: current.versions.map((v) => ({
            versionId: v.versionId,
            percentage: v.percentage,
            bundle: bundleOf(versions.find((x) => x.id === v.versionId)),
          })),
          at100Seconds,
        }
      : undefined,
    start,
    d1,
    durableObjectTag: { known: tagKnown, tag },
    durableObjects,
    code,
    blastWindow,
  };
}
