/**
 * The Platform interface: what `release`, `rollback`, the incident levers and the drills need from
 * wherever Workers run. Two targets implement it: `local/` (the local edge on Miniflare) and
 * `cloudflare/` (wrangler + the REST and GraphQL APIs). The platform is the source of truth: the CLI keeps no
 * state of its own between runs, so a killed release can always be resumed or rolled back.
 */

import type { TargetName } from "../core/target.js";

export type { TargetName };

export interface VersionInfo {
  id: string;
  worker: string;
  /** Short, human tag (`--tag`), e.g. a git sha or "v2". */
  tag?: string;
  message?: string;
  /** ISO 8601. */
  createdAt: string;
  /** Free-form annotations the platform keeps with the version (Cloudflare: workers/tag, workers/message). */
  annotations?: Record<string, string>;
}

export interface SplitEntry {
  versionId: string;
  /** 0-100; the entries of one deployment add up to 100. */
  percentage: number;
}

export interface Deployment {
  id: string;
  worker: string;
  createdAt: string;
  /** Where blastwall records its own facts (release id, restore bookmarks, overrides with reasons). */
  message?: string;
  /** "deployment" for a deploy, "rollback" for a rollback. */
  kind: "deployment" | "rollback";
  /** At most 2 entries. */
  versions: SplitEntry[];
}

export interface UploadVersionOptions {
  worker: string;
  /** The wrangler config of that Worker. */
  configPath: string;
  tag?: string;
  message?: string;
  /** A wrangler environment (`--env`). */
  env?: string;
  /** Extra vars baked into this version (the demo uses them to ship a deliberately bad build). */
  vars?: Record<string, string>;
}

export interface DeployOptions {
  message?: string;
  env?: string;
}

/** Where smoke checks for one version go (see `smokeTarget`). */
export interface SmokeTarget {
  baseUrl: string | undefined;
  /** The Worker name for `Cloudflare-Workers-Version-Overrides`; absent when `baseUrl` is the version's preview URL. */
  overrideName?: string;
  /** True when `baseUrl` is the version's own preview URL: every answer comes from that version. */
  preview: boolean;
}

export interface RollbackOptions {
  /** Version to return to (full id, id prefix or tag); default: the last version that served 100%. */
  to?: string;
  /**
   * Roll back although a pre-flight check predicts a refusal (Cloudflare: secrets changed since the target, 10220);
   * needs `message`, the reason kept with the deployment. Targets without such checks ignore it.
   */
  force?: boolean;
  message?: string;
  env?: string;
}

export interface LatencySummary {
  p50: number;
  /** The 90th percentile, where the platform computes it (the analysis compares at p50, p90 and p99). */
  p90?: number;
  p95: number;
  p99: number;
}

/** One route's counts within a version's window (routes come from the telemetry's route label). */
export interface RouteMetrics {
  requests: number;
  /** Failed requests, each counted once. */
  errors: number;
  /** Requests slower than each bound: bound ms → count. */
  slowerThan?: Record<string, number>;
}

/** Counts for one version over one window. Latencies in milliseconds. */
export interface VersionMetrics {
  versionId: string;
  requests: number;
  status: { "2xx": number; "3xx": number; "4xx": number; "5xx": number };
  /** Uncaught exceptions (the Worker threw), counted apart from 5xx responses. */
  exceptions: number;
  latency: LatencySummary;
  /** Requests slower than each bound, for latency-as-counts analysis: bound ms → count. */
  slowerThan?: Record<string, number>;
  /** Histogram: upper bounds of the buckets in ms (ascending; the last is +Infinity) and their counts. */
  histogram?: { boundsMs: number[]; counts: number[] };
  /** The same window split by route, where the platform records a route label; the analysis stratifies by it. */
  byRoute?: Record<string, RouteMetrics>;
  /**
   * Where the counts above are samples (Cloudflare Analytics Engine): the estimated totals, for display only. The
   * counts above stay the raw sampled rows, which is what a statistical test may treat as observed requests.
   */
  weighted?: { requests: number; status: { "2xx": number; "3xx": number; "4xx": number; "5xx": number } };
  /** True when the platform saw requests but no status data (no telemetry rows): 5xx is unknown, not 0. */
  statusUnknown?: boolean;
}

export interface MetricsQuery {
  worker: string;
  /** Window start (inclusive). */
  since: Date;
  until?: Date;
  /** Latency bounds (ms) to count slower requests against, e.g. the stable p95 or an SLO bound. */
  slowerThanMs?: number[];
  env?: string;
}

/** Release signals beyond HTTP: the queue DLQ rate and Durable Object overloads. */
export interface ExtraSignals {
  /** Messages that reached each watched DLQ in the window. */
  dlqMessages: Record<string, number>;
  /** Durable Object errors and overloads (503s) in the window, by class. */
  durableObjectErrors: Record<string, number>;
  /** Signals attributed to the version that produced them, by version id, where the platform can attribute them. */
  byVersion?: Record<string, { dlqMessages: Record<string, number>; durableObjectErrors: Record<string, number> }>;
}

/** How a platform's metrics arrive, so an analysis can offset its windows by the lag and say so in its report. */
export interface MetricsIngestion {
  /** Rows newer than this many seconds may still be missing from a query. */
  lagSeconds: number;
  /** Whether rows are sampled at high rates (counts are then the rows kept; `weighted` holds the estimates). */
  sampled: boolean;
  /**
   * Both versions run in one process on one machine (the local edge), so load moves their latency together and the
   * stable version's own latency variation says nothing about a difference between them.
   */
  sharedHost?: boolean;
}

export interface QueueState {
  queue: string;
  paused: boolean;
  /** Messages waiting (when the platform can tell). */
  backlog?: number;
  /** Messages in this queue's dead-letter queue (when the platform can tell). */
  dlqDepth?: number;
  deadLetterQueue?: string;
}

/** A dead letter as `queues dlq replay` lists it. */
export interface DeadLetter {
  /** The message id in the dead-letter queue. */
  id: string;
  /**
   * Stable across runs: the id the replay is known by (local: the re-enqueued message keeps this id, so the
   * consumer sees the same `message.id`; Cloudflare: the DLQ message id, which the ack retires).
   */
  replayId: string;
  attempts?: number;
  /** ISO 8601: when the message was first sent. */
  timestamp?: string;
  /** The body, as JSON or text, cut to 120 characters. */
  preview: string;
  /** The version whose consumer failed the message into the DLQ (when the platform records it: local edge). */
  failedBy?: string;
}

export interface ReplayOptions {
  /** List what would be replayed; change nothing. */
  dryRun?: boolean;
  /** At most this many messages (default: all). */
  limit?: number;
}

export interface ReplayResult {
  /** The source queue the dead letters go back to. */
  queue: string;
  deadLetterQueue: string;
  dryRun: boolean;
  /** Replayed (or, with dryRun, that would be). */
  messages: DeadLetter[];
  /** Left in the DLQ afterwards (when the platform can tell). */
  remaining?: number;
}

export interface FlagState {
  name: string;
  /** "1"/"0" for on/off flags; other strings for valued flags. */
  value: string;
  updatedAt?: string;
  /** Who flipped it last (an operator label, never a token). */
  actor?: string;
}

export interface MigrationState {
  name: string;
  applied: boolean;
  appliedAt?: string;
}

export interface RestorePoint {
  database: string;
  /** Opaque id: a D1 Time Travel bookmark on Cloudflare, a snapshot id locally. */
  bookmark: string;
  createdAt: string;
  /** The migration this point was taken before, when taken by a release. */
  beforeMigration?: string;
}

/** One canary analysis poll, as the release engine decided it; the dashboard charts these. */
export interface AnalysisRecord {
  worker: string;
  /** Epoch seconds. */
  t: number;
  /** "hold" | "continue" | "promote" | "rollback" | ... */
  verdict: string;
  /** The decision with its numbers, as printed. */
  message: string;
  /** e-value of the error test. */
  e?: number;
  /** e-value of the latency test, when run. */
  eLatency?: number;
  /** 1/α: the decision line. */
  threshold?: number;
  numbers?: Record<string, number | string>;
}

/*
 * The platform, split by capability. Each consumer asks for the capabilities it uses (e.g. the dashboard takes
 * `PlatformTarget & PlatformVersions & PlatformSignals & ...`), so a new capability or a test double touches only
 * what reads it. `Platform` is all of them: what `createPlatform` returns and each target implements.
 */

/** Which target a platform talks to. */
export interface PlatformTarget {
  readonly target: TargetName;
}

/** Versions and deployments: upload, split, roll back, and where a version answers. */
export interface PlatformVersions {
  uploadVersion(options: UploadVersionOptions): Promise<VersionInfo>;
  listVersions(worker: string, env?: string): Promise<VersionInfo[]>;
  /** Deploys a split of at most 2 versions whose percentages add up to 100. */
  deploy(worker: string, split: SplitEntry[], options?: DeployOptions): Promise<Deployment>;
  /** The deployment in force, or undefined when the Worker was never deployed. */
  currentDeployment(worker: string, env?: string): Promise<Deployment | undefined>;
  /** Newest first. */
  listDeployments(worker: string, env?: string): Promise<Deployment[]>;
  rollback(worker: string, options?: RollbackOptions): Promise<Deployment>;
  /**
   * Base URL where requests to a Worker go, for smoke checks with `Cloudflare-Workers-Version-Overrides`
   * (local: the edge's router with a `/__worker/<name>` prefix). Undefined when the platform cannot tell.
   */
  workerUrl?(worker: string, env?: string): Promise<string | undefined>;
  /**
   * Optional. Where smoke checks for one version go: its own preview URL where the Worker has one (no override
   * needed), else the Worker's URL and the name the version-override header must use (`<name>-<env>` on Cloudflare).
   */
  smokeTarget?(worker: string, versionId: string, env?: string): Promise<SmokeTarget>;
  /** Optional. The last Durable Object migration tag applied to this Worker, so `plan` can list pending ones. */
  durableObjectMigrationTag?(worker: string, env?: string): Promise<string | undefined>;
}

/** Metrics and signals per version: what the canary analysis reads. */
export interface PlatformSignals {
  metrics(query: MetricsQuery): Promise<VersionMetrics[]>;
  extraSignals(query: MetricsQuery & { queues: string[]; durableObjects: string[] }): Promise<ExtraSignals>;
  /** Optional. How metrics arrive: the ingestion lag and whether rows are sampled. */
  metricsIngestion?(): Promise<MetricsIngestion>;
}

/** Queue levers: pause, resume, state, and dead-letter replay. */
export interface PlatformQueues {
  pauseQueue(queue: string): Promise<QueueState>;
  resumeQueue(queue: string): Promise<QueueState>;
  queueState(queue: string): Promise<QueueState>;
  /**
   * Optional. Re-enqueues the dead letters of `queue` (the source queue; its DLQ comes from the consumer's
   * `dead_letter_queue`). Idempotent: a dead letter leaves the DLQ only once it was re-sent, and a second run never
   * sends it again (see docs/drills.md for each target's guarantee).
   */
  replayDeadLetters?(queue: string, options?: ReplayOptions): Promise<ReplayResult>;
}

/** Ops flags (kill switches). */
export interface PlatformFlags {
  listFlags(): Promise<FlagState[]>;
  setFlag(name: string, value: string, actor: string): Promise<FlagState>;
}

/** D1 migrations and restore points. */
export interface PlatformD1 {
  /** Applied and pending migrations of a D1 database, in apply order. */
  listMigrations(worker: string, database: string): Promise<MigrationState[]>;
  /** Applies pending migrations up to and including `upTo` (default: all). Returns the names applied. */
  applyMigrations(worker: string, database: string, options?: { upTo?: string }): Promise<string[]>;
  createRestorePoint(worker: string, database: string, beforeMigration?: string): Promise<RestorePoint>;
  listRestorePoints(worker: string, database: string): Promise<RestorePoint[]>;
  restore(worker: string, database: string, bookmark: string): Promise<void>;
}

/** Analysis records: where the release engine's polls are kept for the dashboard (optional per target). */
export interface PlatformAnalysis {
  /** Optional. Keeps the release engine's analysis polls where the dashboard can chart them (local edge). */
  recordAnalysis?(record: AnalysisRecord): Promise<void>;
  /** Optional. The analysis polls recorded for a Worker since a time, oldest first. */
  listAnalysis?(worker: string, since?: Date): Promise<AnalysisRecord[]>;
}

/**
 * Each capability by the name a consumer asks for it with, e.g. `platformFor(ctx, ["queues"])`. A new capability
 * interface goes here and into `Platform`'s extends list below.
 */
export interface PlatformCapabilities {
  versions: PlatformVersions;
  signals: PlatformSignals;
  queues: PlatformQueues;
  flags: PlatformFlags;
  d1: PlatformD1;
  analysis: PlatformAnalysis;
}

/** A capability's name. */
export type Capability = keyof PlatformCapabilities;

type Intersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/**
 * A platform narrowed to the capabilities named (and its target): what a consumer that asked for them may call.
 *
 * @example
 * function pauseAll(platform: PlatformWith<"queues">, queues: string[]) { return Promise.all(queues.map((q) => platform.pauseQueue(q))); }
 */
export type PlatformWith<C extends Capability> = PlatformTarget & Intersection<PlatformCapabilities[C]>;

/** Every capability: what each target implements and `createPlatform` returns. */
export interface Platform
  extends PlatformTarget,
    PlatformVersions,
    PlatformSignals,
    PlatformQueues,
    PlatformFlags,
    PlatformD1,
    PlatformAnalysis {}
