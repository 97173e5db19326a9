import type { Project } from "../../project/discover.js";
import { relativeTo } from "../../project/discover.js";
import type { WranglerConfig } from "../../project/wrangler-config.js";
import type { AnalyzerOutput, CheckOptions } from "../analyzer.js";
import { createConfigAnalyzer } from "../config/analyzer.js";
import { configAtRef, filesAtRef } from "../config/git-base.js";
import { configSections } from "../config/sections.js";
import { LOCK_FILE, readLock } from "../d1/lock.js";
import { listMigrationDirs } from "../d1/migrations.js";
import { BASELINE_FILE, type BaselineFile, fingerprint, readBaseline, stepKey } from "./baseline-file.js";

/** Where the knowledge that something shipped came from, for the summary line. */
export type ShippedSource = "baseline" | "base" | "data" | "lock";

/** Everything that already shipped: findings on it no longer fail the check. */
export interface Shipped {
  migrations: Map<string, ShippedSource>;
  /** By config file: step key (see {@link stepKey}) → source. */
  durableObjectSteps: Map<string, Map<string, ShippedSource>>;
  findings: Map<string, ShippedSource>;
  /** Human names of the sources used, e.g. "blastwall.baseline.json", "--base origin/main". */
  sources: string[];
}

export function emptyShipped(): Shipped {
  return { migrations: new Map(), durableObjectSteps: new Map(), findings: new Map(), sources: [] };
}

function addStep(shipped: Shipped, file: string, key: string, source: ShippedSource): void {
  const steps = shipped.durableObjectSteps.get(file) ?? new Map<string, ShippedSource>();
  if (!steps.has(key)) steps.set(key, source);
  shipped.durableObjectSteps.set(file, steps);
}

function addBaselineFile(shipped: Shipped, baseline: BaselineFile): void {
  for (const m of baseline.migrations) shipped.migrations.set(m, "baseline");
  for (const [file, keys] of Object.entries(baseline.durableObjectSteps))
    for (const k of keys) addStep(shipped, file, k, "baseline");
  for (const f of baseline.findings) shipped.findings.set(f, "baseline");
}

/** The Durable Object steps a config declares today, as baseline keys. */
export function durableObjectStepKeys(worker: WranglerConfig): string[] {
  return configSections(worker)
    .filter((s) => s.ownMigrations)
    .flatMap((s) => s.migrations.map((m) => stepKey(s.env, m.tag)));
}

/** Migrations, Durable Object steps and config findings as they were at the `--base` git ref. */
async function addGitBase(shipped: Shipped, project: Project, ref: string): Promise<void> {
  for (const dir of listMigrationDirs(project)) {
    for (const name of filesAtRef(dir.dir, ref)) {
      const rel = dir.rel === "." ? name : `${dir.rel}/${name}`;
      if (!shipped.migrations.has(rel)) shipped.migrations.set(rel, "base");
    }
  }
  const before: WranglerConfig[] = [];
  for (const worker of project.workers) {
    const then = configAtRef(worker.path, ref);
    if (!then) continue;
    before.push(then);
    for (const key of durableObjectStepKeys(then)) addStep(shipped, relativeTo(project.root, worker.path), key, "base");
  }
  // Config findings the base already had are history too (the rules run on the configs as they were then).
  if (before.length === 0) return;
  const old = await createConfigAnalyzer().analyze({ project: { root: project.root, workers: before }, options: {} });
  for (const f of old.findings) {
    const fp = fingerprint(f);
    if (!shipped.findings.has(fp)) shipped.findings.set(fp, "base");
  }
}

/**
 * The migrations each folder's migrations.lock lists: a lock records migrations as they are applied, so what it
 * lists shipped. Returns the lock files read, for the summary line.
 */
function addLocks(shipped: Shipped, project: Project): string[] {
  const locks: string[] = [];
  for (const dir of listMigrationDirs(project)) {
    if (!dir.exists) continue;
    const lockRel = dir.rel === "." ? LOCK_FILE : `${dir.rel}/${LOCK_FILE}`;
    const entries = readLock(dir.dir, lockRel);
    if (!entries) continue;
    locks.push(lockRel);
    for (const e of entries) {
      const rel = dir.rel === "." ? e.name : `${dir.rel}/${e.name}`;
      if (!shipped.migrations.has(rel)) shipped.migrations.set(rel, "lock");
    }
  }
  return locks;
}

/**
 * Collects what shipped from every source the run has: blastwall.baseline.json (`check --init`), the `--base`
 * git ref, the migrations each migrations.lock lists, and the migrations `--data` records as applied.
 *
 * @example
 * const shipped = await collectShipped(project, { base: "origin/main" }, outputs);
 */
export async function collectShipped(
  project: Project,
  options: CheckOptions,
  outputs: readonly AnalyzerOutput[],
): Promise<Shipped> {
  const shipped = emptyShipped();
  const file = options.ignoreBaseline ? undefined : readBaseline(project.root);
  if (file) {
    addBaselineFile(shipped, file);
    shipped.sources.push(BASELINE_FILE);
  }
  if (options.base) {
    await addGitBase(shipped, project, options.base);
    shipped.sources.push(`--base ${options.base}`);
  }
  shipped.sources.push(...addLocks(shipped, project));
  const applied = outputs.flatMap((o) => o.appliedOnData ?? []);
  if (applied.length > 0) {
    for (const m of applied) if (!shipped.migrations.has(m)) shipped.migrations.set(m, "data");
    shipped.sources.push("--data");
  }
  return shipped;
}
