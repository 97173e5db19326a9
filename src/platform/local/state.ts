import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { BlastwallError } from "../../core/errors.js";
import type { Deployment, RestorePoint, SplitEntry, VersionInfo } from "../platform.js";

/** Where the local edge keeps everything, relative to the project dir. */
export const LOCAL_STATE_DIR = join(".blastwall", "local");

/** Absolute paths of the edge's files under `<project>/.blastwall/local/`. */
export interface EdgePaths {
  root: string;
  /** pid, ports and control token of the running edge. */
  edgeFile: string;
  /** Versions, deployments and restore points (one JSON document, replaced atomically). */
  stateFile: string;
  /** One folder per version with its wrangler bundle. */
  versionsDir: string;
  /** Miniflare persistence: D1, KV, R2, Durable Objects. */
  persistDir: string;
  /** The edge's durable queue store (SQLite). */
  queuesDb: string;
  /** Attributed signals and persisted metrics (SQLite). */
  signalsDb: string;
  /** The release engine's analysis polls (SQLite). */
  recordsDb: string;
  /** D1 restore points, one JSON file each. */
  snapshotsDir: string;
  /** The daemon's stdout and stderr. */
  logFile: string;
}

export function edgePaths(projectDir: string): EdgePaths {
  const root = join(projectDir, LOCAL_STATE_DIR);
  return {
    root,
    edgeFile: join(root, "edge.json"),
    stateFile: join(root, "state.json"),
    versionsDir: join(root, "versions"),
    persistDir: join(root, "miniflare"),
    queuesDb: join(root, "queues.sqlite"),
    signalsDb: join(root, "signals.sqlite"),
    recordsDb: join(root, "records.sqlite"),
    snapshotsDir: join(root, "snapshots"),
    logFile: join(root, "edge.log"),
  };
}

/** The bindings of one version, frozen at upload like on Cloudflare (editing the config later does not change it). */
export interface VersionBindings {
  vars: Record<string, unknown>;
  d1: { binding: string; id: string; name?: string }[];
  kv: { binding: string; id: string }[];
  r2: { binding: string; bucket: string }[];
  durableObjects: { binding: string; className: string; scriptName?: string; sqlite: boolean }[];
  producers: { binding: string; queue: string; deliveryDelay?: number }[];
  consumers: {
    queue: string;
    maxBatchSize?: number;
    maxBatchTimeout?: number;
    maxRetries?: number;
    retryDelay?: number;
    deadLetterQueue?: string;
  }[];
  versionMetadata?: string;
}

export interface VersionRecord extends VersionInfo {
  /** Name of this version's worker inside Miniflare: `<worker>@<id8>`. */
  runtimeName: string;
  configPath: string;
  env?: string;
  /** Folder holding wrangler's bundle and the edge's entry wrapper. */
  bundleDir: string;
  /** Module file names inside bundleDir, the entry wrapper first. */
  modules: string[];
  compatibilityDate: string;
  compatibilityFlags: string[];
  bindings: VersionBindings;
}

export interface EdgeStateDocument {
  version: 1;
  versions: VersionRecord[];
  /** Oldest first. */
  deployments: Deployment[];
  restorePoints: (RestorePoint & { file: string })[];
}

const EMPTY: EdgeStateDocument = { version: 1, versions: [], deployments: [], restorePoints: [] };

/** Writes a file so that a reader (or a SIGKILL) never sees half of it. */
export function writeFileAtomic(path: string, text: string, mode = 0o644): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, path);
}

/**
 * The edge's registry: versions, deployment history and restore points. Only the edge process writes it;
 * every change is written through before the control API answers, so a SIGKILL loses nothing acknowledged.
 *
 * @example
 * const state = new EdgeState(edgePaths(".").stateFile);
 * state.addDeployment("shop-api", [{ versionId, percentage: 100 }], "deployment", "first");
 */
export class EdgeState {
  private doc: EdgeStateDocument;

  constructor(private readonly file: string) {
    this.doc = existsSync(file) ? EdgeState.read(file) : structuredClone(EMPTY);
  }

  private static read(file: string): EdgeStateDocument {
    try {
      const parsed = JSON.parse(readFileSync(file, "utf8")) as Partial<EdgeStateDocument>;
      return {
        version: 1,
        versions: parsed.versions ?? [],
        deployments: parsed.deployments ?? [],
        restorePoints: parsed.restorePoints ?? [],
      };
    } catch (err) {
      throw new BlastwallError(`local edge state is unreadable: ${(err as Error).message}`, {
        location: { file },
        fix: "restore the file from a backup, or delete .blastwall/local to start the edge from scratch",
      });
    }
  }

  private save(): void {
    writeFileAtomic(this.file, `${JSON.stringify(this.doc, null, 2)}\n`);
  }

  versions(worker?: string): VersionRecord[] {
    return this.doc.versions.filter((v) => worker === undefined || v.worker === worker);
  }

  addVersion(record: VersionRecord): void {
    this.doc.versions.push(record);
    this.save();
  }

  /** Finds a version of a Worker by full id, id prefix (8+ chars) or tag; throws a usable error otherwise. */
  resolveVersion(worker: string, ref: string): VersionRecord {
    const mine = this.versions(worker);
    const exact = mine.find((v) => v.id === ref);
    if (exact) return exact;
    const byPrefix = ref.length >= 4 ? mine.filter((v) => v.id.startsWith(ref)) : [];
    const byTag = mine.filter((v) => v.tag === ref);
    const hits = byPrefix.length > 0 ? byPrefix : byTag;
    const [only] = hits;
    if (hits.length === 1 && only) return only;
    const known = mine
      .slice(-5)
      .map((v) => `${v.id.slice(0, 8)}${v.tag ? ` (${v.tag})` : ""}`)
      .join(", ");
    throw new BlastwallError(
      hits.length > 1
        ? `version "${ref}" of ${worker} is ambiguous: ${hits.map((v) => v.id.slice(0, 8)).join(", ")}`
        : `no version "${ref}" of ${worker} on the local edge`,
      {
        fix: known
          ? `use one of: ${known} (see \`blastwall versions list\`)`
          : "upload one with `blastwall versions upload`",
      },
    );
  }

  /** Newest first, like Cloudflare's deployments list. */
  deployments(worker: string): Deployment[] {
    return this.doc.deployments.filter((d) => d.worker === worker).reverse();
  }

  current(worker: string): Deployment | undefined {
    return this.deployments(worker)[0];
  }

  addDeployment(worker: string, versions: SplitEntry[], kind: Deployment["kind"], message?: string): Deployment {
    const deployment: Deployment = {
      id: randomUUID(),
      worker,
      createdAt: new Date().toISOString(),
      kind,
      versions,
      ...(message ? { message } : {}),
    };
    this.doc.deployments.push(deployment);
    this.save();
    return deployment;
  }

  /** The version with the largest share of a Worker's deployment (ties: the newer); before any deploy, the newest. */
  primary(worker: string): VersionRecord | undefined {
    const current = this.current(worker);
    const versions = this.versions(worker);
    if (!current) return versions[versions.length - 1];
    let best: VersionRecord | undefined;
    let bestPct = -1;
    for (const e of current.versions) {
      const v = versions.find((x) => x.id === e.versionId);
      if (!v) continue;
      if (e.percentage > bestPct || (e.percentage === bestPct && best && v.createdAt > best.createdAt)) {
        best = v;
        bestPct = e.percentage;
      }
    }
    return best;
  }

  /** Workers with at least one version, in upload order. */
  workers(): string[] {
    return [...new Set(this.doc.versions.map((v) => v.worker))];
  }

  restorePoints(database: string): (RestorePoint & { file: string })[] {
    return this.doc.restorePoints.filter((r) => r.database === database).reverse();
  }

  addRestorePoint(point: RestorePoint & { file: string }): void {
    this.doc.restorePoints.push(point);
    this.save();
  }
}
