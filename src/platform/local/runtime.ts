import { join } from "node:path";
import { Log, type LogLevel, Miniflare } from "miniflare";
import { BlastwallError } from "../../core/errors.js";
import { loadProject } from "../../project/discover.js";
import type { WranglerConfig } from "../../project/wrangler-config.js";
import { bindingsOf } from "./bundle.js";
import type { EdgePaths, EdgeState, VersionBindings } from "./state.js";
import { edgeWorkers, type ServiceHandler } from "./workers.js";

export interface EdgeRuntimeOptions {
  projectDir: string;
  paths: EdgePaths;
  state: EdgeState;
  adminToken: string;
  logLevel: LogLevel;
  /** Node endpoints that the internal worker reaches through service bindings. */
  services: { broker: ServiceHandler; signals: ServiceHandler };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Appends the ids of `found` missing from `known`: binding names are positional, so existing ids keep theirs. */
function appendNew(known: string[], found: Iterable<string>): string[] {
  return [...known, ...[...new Set(found)].filter((x) => !known.includes(x))];
}

/**
 * workerd under the edge: one Miniflare running every version, the shared stores they bind, the gate that holds new
 * requests while workerd restarts, and the lock that runs state changes one at a time.
 *
 * @example
 * const runtime = new EdgeRuntime({ projectDir, paths, state, adminToken, logLevel, services });
 * await runtime.start();
 * await runtime.reload(); // after a version or a deployment changed
 */
export class EdgeRuntime {
  d1Ids: string[] = [];
  kvIds: string[] = [];
  queues: string[] = [];
  /** Called after workerd restarted with a new config. */
  onRestart: (() => void) | undefined;
  private mf: Miniflare | undefined;
  private urls = new Map<string, URL>();
  private gate: Promise<void> | undefined;
  private inflight = 0;
  private mutex: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: EdgeRuntimeOptions) {}

  /** Holds requests at the gate until `open` runs (start and reload use it). */
  closeGate(): () => void {
    let open = () => {};
    this.gate = new Promise<void>((r) => {
      open = r;
    });
    return () => {
      this.gate = undefined;
      open();
    };
  }

  async start(): Promise<void> {
    this.collectStores();
    this.mf = new Miniflare(this.miniflareOptions());
    await this.mf.ready;
    await this.refreshUrls();
  }

  async stop(): Promise<void> {
    await this.mf?.dispose();
    this.mf = undefined;
  }

  requireMf(): Miniflare {
    if (!this.mf) throw new BlastwallError("the local edge is stopping", { kind: "failure" });
    return this.mf;
  }

  /** The direct socket of a version's worker, once workerd runs it. */
  url(runtimeName: string): URL | undefined {
    return this.urls.get(runtimeName);
  }

  /** Runs `fn` as one request: after the gate opens, counted in flight so a reload waits for it. */
  async track<T>(fn: () => Promise<T>): Promise<T> {
    await this.enter();
    try {
      return await fn();
    } finally {
      this.leave();
    }
  }

  async enter(): Promise<void> {
    if (this.gate !== undefined) await this.gate;
    this.inflight++;
  }

  leave(): void {
    this.inflight--;
  }

  projectConfigs(): WranglerConfig[] {
    try {
      return loadProject(this.options.projectDir).workers;
    } catch {
      return [];
    }
  }

  /** Every D1 id, KV id and queue named by a project config or a version, for the internal worker. */
  collectStores(): void {
    const bindings: VersionBindings[] = this.options.state.versions().map((v) => v.bindings);
    for (const c of this.projectConfigs()) for (const s of [c, ...Object.values(c.env)]) bindings.push(bindingsOf(s));
    this.d1Ids = appendNew(
      this.d1Ids,
      bindings.flatMap((b) => b.d1.map((d) => d.id)),
    );
    this.kvIds = appendNew(
      this.kvIds,
      bindings.flatMap((b) => b.kv.map((k) => k.id)),
    );
    this.queues = appendNew(
      this.queues,
      bindings.flatMap((b) => [
        ...b.producers.map((p) => p.queue),
        ...b.consumers.flatMap((q) => (q.deadLetterQueue ? [q.queue, q.deadLetterQueue] : [q.queue])),
      ]),
    );
  }

  /**
   * Applies a new worker list. New requests wait at the gate, requests in flight finish first, then workerd
   * restarts with the new config; nothing in flight is cut, nothing new fails.
   */
  async reload(): Promise<void> {
    const open = this.closeGate();
    try {
      const deadline = Date.now() + 15_000;
      while (this.inflight > 0 && Date.now() < deadline) await sleep(5);
      // Let Miniflare's broker hand over messages sent by the requests that just finished.
      await sleep(50);
      this.collectStores();
      await this.restartWorkerd();
      await this.refreshUrls();
      this.onRestart?.();
    } finally {
      open();
    }
  }

  /**
   * Restarts workerd on its current ports. Another process may hold one of them for a moment (an outgoing
   * connection's ephemeral port), so "address in use" is retried briefly before it fails the reload.
   */
  private async restartWorkerd(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.requireMf().setOptions(this.miniflareOptions());
        return;
      } catch (err) {
        if (attempt >= 6 || !/address already in use/i.test((err as Error).message)) throw err;
        await sleep(250 * attempt);
      }
    }
  }

  /** Runs state-changing operations one at a time. */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.mutex.then(fn, fn);
    this.mutex = run.catch(() => undefined);
    return run;
  }

  private miniflareOptions() {
    const persist = this.options.paths.persistDir;
    const { state, adminToken, services, logLevel } = this.options;
    return {
      log: new Log(logLevel),
      // No network here, and nothing the edge runs needs the real `request.cf`.
      cf: false,
      d1Persist: join(persist, "d1"),
      kvPersist: join(persist, "kv"),
      r2Persist: join(persist, "r2"),
      durableObjectsPersist: join(persist, "do"),
      workers: edgeWorkers({
        versions: state.versions(),
        placement: (worker) => state.current(worker),
        adminToken,
        d1Ids: this.d1Ids,
        kvIds: this.kvIds,
        queues: this.queues,
        services,
      }),
    };
  }

  private async refreshUrls(): Promise<void> {
    const mf = this.requireMf();
    const urls = new Map<string, URL>();
    for (const v of this.options.state.versions()) urls.set(v.runtimeName, await mf.unsafeGetDirectURL(v.runtimeName));
    this.urls = urls;
  }
}
