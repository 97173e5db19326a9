import type {
  Deployment,
  DeployOptions,
  ExtraSignals,
  FlagState,
  MetricsIngestion,
  MetricsQuery,
  MigrationState,
  Platform,
  QueueState,
  RestorePoint,
  RollbackOptions,
  SplitEntry,
  UploadVersionOptions,
  VersionInfo,
  VersionMetrics,
} from "../../src/platform/platform.js";
import { binomial, seededRandom } from "../../src/release/analysis/simulate.js";

/**
 * An in-memory Platform for release tests: versions, split deployments and migrations kept in maps, and traffic
 * simulated per version (error rate, latency) on a clock the test drives. `failAfter` kills the "process" at the
 * n-th mutating call, the way SIGKILL would: what reached the platform stays, the rest never happens.
 */

export interface Behaviour {
  errorRate: number;
  /** Latency is uniform on [baseMs, baseMs + spreadMs], plus extraMs. */
  baseMs: number;
  spreadMs: number;
  extraMs: number;
  /** Smoke checks: status to answer with. */
  smokeStatus: number;
}

export const HEALTHY: Behaviour = { errorRate: 0.002, baseMs: 5, spreadMs: 40, extraMs: 0, smokeStatus: 200 };

export class Killed extends Error {}

export class MemoryPlatform implements Platform {
  readonly target = "local" as const;
  clock: number;
  rps = 200;
  versions: VersionInfo[] = [];
  behaviour = new Map<string, Behaviour>();
  nextBehaviour: Behaviour = HEALTHY;
  deployments: Deployment[] = [];
  applied = new Set<string>();
  restorePoints: RestorePoint[] = [];
  dlqPerSecond = 0;
  /** Set by a test to play a platform with an ingestion lag. */
  metricsIngestion?: () => Promise<MetricsIngestion>;
  calls: string[] = [];
  /** Throws Killed on this mutating call (1-based); undefined: never. */
  failAfter: number | undefined;
  private mutations = 0;
  private readonly rand: () => number;

  constructor(
    start: Date,
    readonly migrations: Record<string, string[]> = {},
    seed = 42,
  ) {
    this.clock = start.getTime();
    this.rand = seededRandom(seed);
  }

  now = (): Date => new Date(this.clock);
  sleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
    if (signal?.aborted) throw new Error("interrupted");
    this.clock += ms;
  };

  /** After a kill nothing more reaches the platform, as with SIGKILL, until the next run revives it. */
  dead = false;

  private mutate(name: string): void {
    if (this.dead) throw new Killed(`dead: ${name} never reached the platform`);
    this.mutations++;
    if (this.failAfter !== undefined && this.mutations >= this.failAfter) {
      this.failAfter = undefined;
      this.dead = true;
      throw new Killed(`killed before ${name}`);
    }
    this.calls.push(name);
  }

  /** Platform calls that changed state so far. */
  get mutationCount(): number {
    return this.calls.length;
  }

  async uploadVersion(o: UploadVersionOptions): Promise<VersionInfo> {
    this.mutate("upload");
    const id = `${(this.versions.length + 1).toString(16).padStart(8, "0")}-0000-4000-8000-000000000000`;
    const v: VersionInfo = {
      id,
      worker: o.worker,
      createdAt: this.now().toISOString(),
      ...(o.tag ? { tag: o.tag } : {}),
      ...(o.message ? { message: o.message } : {}),
    };
    this.versions.push(v);
    // Like the demo's deliberately bad builds: a var can set the version's error rate.
    const rate = o.vars?.BW_ERROR_RATE;
    this.behaviour.set(
      id,
      rate !== undefined ? { ...this.nextBehaviour, errorRate: Number(rate) } : this.nextBehaviour,
    );
    return v;
  }
  async listVersions(): Promise<VersionInfo[]> {
    return [...this.versions];
  }
  async deploy(worker: string, split: SplitEntry[], options?: DeployOptions): Promise<Deployment> {
    this.mutate(`deploy ${split.map((s) => `${s.versionId.slice(0, 8)}:${s.percentage}`).join(",")}`);
    if (split.length > 2 || split.reduce((a, s) => a + s.percentage, 0) !== 100) throw new Error("bad split");
    const d: Deployment = {
      id: `d${this.deployments.length + 1}`,
      worker,
      createdAt: this.now().toISOString(),
      kind: "deployment",
      versions: split,
      ...(options?.message ? { message: options.message } : {}),
    };
    this.deployments.unshift(d);
    return d;
  }
  async currentDeployment(): Promise<Deployment | undefined> {
    return this.deployments[0];
  }
  async listDeployments(): Promise<Deployment[]> {
    return [...this.deployments];
  }
  async rollback(worker: string, options?: RollbackOptions): Promise<Deployment> {
    this.mutate("rollback");
    const to = options?.to ?? this.deployments.find((d) => d.versions.length === 1)?.versions[0]?.versionId ?? "";
    const d: Deployment = {
      id: `d${this.deployments.length + 1}`,
      worker,
      createdAt: this.now().toISOString(),
      kind: "rollback",
      versions: [{ versionId: to, percentage: 100 }],
      ...(options?.message ? { message: options.message } : {}),
    };
    this.deployments.unshift(d);
    return d;
  }

  /** Simulates the window's traffic under the split in force at its end. */
  async metrics(q: MetricsQuery): Promise<VersionMetrics[]> {
    const seconds = ((q.until ?? this.now()).getTime() - q.since.getTime()) / 1000;
    const total = Math.round(this.rps * seconds);
    const split = this.deployments[0]?.versions ?? [];
    return split.map(({ versionId, percentage }) => {
      const b = this.behaviour.get(versionId) ?? HEALTHY;
      const requests = binomial(this.rand, total, percentage / 100);
      const errors = binomial(this.rand, requests, b.errorRate);
      const q95 = b.baseMs + b.extraMs + 0.95 * b.spreadMs;
      const slowerThan: Record<string, number> = {};
      for (const bound of q.slowerThanMs ?? []) {
        const p = Math.min(1, Math.max(0, (b.baseMs + b.extraMs + b.spreadMs - bound) / b.spreadMs));
        slowerThan[String(bound)] = binomial(this.rand, requests, p);
      }
      return {
        versionId,
        requests,
        status: { "2xx": requests - errors, "3xx": 0, "4xx": 0, "5xx": errors },
        exceptions: 0,
        latency: {
          p50: b.baseMs + b.extraMs + b.spreadMs / 2,
          p90: b.baseMs + b.extraMs + 0.9 * b.spreadMs,
          p95: q95,
          p99: b.baseMs + b.extraMs + 0.99 * b.spreadMs,
        },
        slowerThan,
      };
    });
  }
  async extraSignals(q: MetricsQuery & { queues: string[] }): Promise<ExtraSignals> {
    const seconds = ((q.until ?? this.now()).getTime() - q.since.getTime()) / 1000;
    return {
      dlqMessages: Object.fromEntries(q.queues.map((n) => [n, Math.round(this.dlqPerSecond * seconds)])),
      durableObjectErrors: {},
    };
  }

  async pauseQueue(queue: string): Promise<QueueState> {
    return { queue, paused: true };
  }
  async resumeQueue(queue: string): Promise<QueueState> {
    return { queue, paused: false };
  }
  async queueState(queue: string): Promise<QueueState> {
    return { queue, paused: false };
  }
  async listFlags(): Promise<FlagState[]> {
    return [];
  }
  async setFlag(name: string, value: string): Promise<FlagState> {
    return { name, value };
  }

  async listMigrations(_worker: string, database: string): Promise<MigrationState[]> {
    return (this.migrations[database] ?? []).map((name) => ({ name, applied: this.applied.has(name) }));
  }
  async applyMigrations(_worker: string, database: string, options?: { upTo?: string }): Promise<string[]> {
    this.mutate(`apply ${options?.upTo ?? "all"}`);
    const out: string[] = [];
    for (const name of this.migrations[database] ?? []) {
      if (!this.applied.has(name)) {
        this.applied.add(name);
        out.push(name);
      }
      if (name === options?.upTo) break;
    }
    return out;
  }
  async createRestorePoint(_worker: string, database: string, beforeMigration?: string): Promise<RestorePoint> {
    this.mutate("restore point");
    const rp: RestorePoint = {
      database,
      bookmark: `bm-${this.restorePoints.length + 1}`,
      createdAt: this.now().toISOString(),
      ...(beforeMigration ? { beforeMigration } : {}),
    };
    this.restorePoints.push(rp);
    return rp;
  }
  async listRestorePoints(): Promise<RestorePoint[]> {
    return [...this.restorePoints];
  }
  async restore(): Promise<void> {}

  async workerUrl(): Promise<string> {
    return "http://shop.test";
  }

  /** A fetch that answers smoke checks as the pinned version would. */
  fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const header = new Headers(init?.headers).get("Cloudflare-Workers-Version-Overrides") ?? "";
    const id = /="([^"]+)"/.exec(header)?.[1] ?? "";
    const b = this.behaviour.get(id);
    if (!b) return new Response("no such version", { status: 404 });
    const path = new URL(String(input)).pathname;
    return new Response(JSON.stringify({ ok: b.smokeStatus < 400, path }), { status: b.smokeStatus });
  };
}
