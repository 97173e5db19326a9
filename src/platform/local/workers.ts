import { join } from "node:path";
import type { WorkerOptions } from "miniflare";
import type { Deployment } from "../platform.js";
import { orderSplit } from "./split.js";
import type { VersionRecord } from "./state.js";

/** Name of the edge's own worker inside Miniflare: it owns every queue and binds every D1 and KV namespace. */
export const INTERNAL_WORKER = "__blastwall_edge";

/** Binding names on the internal worker for the shared stores, by id. */
export function d1BindingName(index: number): string {
  return `D1_${index}`;
}
export function kvBindingName(index: number): string {
  return `KV_${index}`;
}

/**
 * The internal worker's queue handler: it hands every batch to the edge's durable broker (a Node function behind
 * the BROKER service binding) and acks only once the broker stored it. Bodies travel as text, base64 or JSON.
 */
const INTERNAL_SOURCE = `
function encode(body) {
  if (typeof body === "string") return { type: "text", data: body };
  let bytes;
  if (body instanceof ArrayBuffer) bytes = new Uint8Array(body);
  else if (ArrayBuffer.isView(body)) bytes = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  if (bytes) {
    let s = "";
    for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return { type: "bytes", data: btoa(s) };
  }
  return { type: "json", data: JSON.stringify(body === undefined ? null : body) };
}
export default {
  async queue(batch, env) {
    const messages = batch.messages.map((m) => ({ id: m.id, timestamp: m.timestamp.getTime(), body: encode(m.body) }));
    const res = await env.BROKER.fetch("http://broker/enqueue", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ queue: batch.queue, messages }),
    });
    if (!res.ok) throw new Error("edge broker refused the batch: " + res.status + " " + (await res.text()));
    batch.ackAll();
  },
  async fetch() {
    return new Response("blastwall local edge internal worker", { status: 404 });
  },
};
`;

/** A Node function behind a service binding. */
export type ServiceHandler = (request: Request) => Promise<Response>;

/** JSON binding that tells the entry wrapper where each Durable Object binding's objects run (see routeOf). */
export const DO_ROUTES_BINDING = "__BLASTWALL_DO";
/** Service binding through which the entry wrapper reports Durable Object errors with the version that ran them. */
export const SIGNALS_BINDING = "__BLASTWALL_SIGNALS";

/** One Durable Object binding as the entry wrapper routes it: each host's namespace binding and its share. */
export interface DurableObjectRoute {
  className: string;
  /** Ordered like the router's split (newest first), so an object's point picks the same version every time. */
  hosts: { binding: string; versionId: string; percentage: number }[];
}

export interface EdgeWorkersOptions {
  versions: readonly VersionRecord[];
  /** The deployment in force for a Worker (it decides which version runs each of its Durable Objects). */
  placement: (worker: string) => Deployment | undefined;
  adminToken: string;
  d1Ids: readonly string[];
  kvIds: readonly string[];
  queues: readonly string[];
  services: { broker: ServiceHandler; signals: ServiceHandler };
}

/**
 * The Miniflare worker list for the edge: the internal worker first, then one worker per version.
 * All versions bind the same D1/KV/R2 ids, so Miniflare gives them the same storage. Every version of a Worker
 * that defines a Durable Object class hosts it under one unique key, so object ids and storage are the same
 * whichever version runs an object; the entry wrapper sends each object to the version its deployment assigns.
 *
 * @example
 * const workers = edgeWorkers({ versions, placement, adminToken, d1Ids, kvIds, queues, services });
 */
export function edgeWorkers({
  versions,
  placement,
  adminToken,
  d1Ids,
  kvIds,
  queues,
  services,
}: EdgeWorkersOptions): WorkerOptions[] {
  const internal: WorkerOptions = {
    name: INTERNAL_WORKER,
    modules: true,
    script: INTERNAL_SOURCE,
    compatibilityDate: "2025-01-01",
    d1Databases: Object.fromEntries(d1Ids.map((id, i) => [d1BindingName(i), id])),
    kvNamespaces: Object.fromEntries(kvIds.map((id, i) => [kvBindingName(i), id])),
    serviceBindings: { BROKER: services.broker },
    // Batches leave Miniflare's in-memory broker at once; retries and DLQ are the edge broker's job.
    queueConsumers: Object.fromEntries(
      queues.map((q) => [q, { maxBatchSize: 100, maxBatchTimeout: 0, maxRetries: 100, retryDelay: 1 }]),
    ),
  };
  const hosts = (owner: string, className: string) => classHosts({ versions, placement, owner, className });
  return [internal, ...versions.map((v) => versionWorker({ v, hosts, adminToken, signals: services.signals }))];
}

/** Whether a version defines a Durable Object class (binds it without naming another Worker). */
export function definesClass(v: VersionRecord, className: string): boolean {
  return v.bindings.durableObjects.some((d) => d.className === className && (d.scriptName ?? v.worker) === v.worker);
}

interface ClassHostsOptions {
  versions: readonly VersionRecord[];
  placement: (worker: string) => Deployment | undefined;
  owner: string;
  className: string;
}

/**
 * The versions of `owner` that run objects of a class, with their shares: those of its deployment, newest first.
 * Before any deployment, the newest version that defines the class runs every object.
 */
export function classHosts({ versions, placement, owner, className }: ClassHostsOptions): {
  version: VersionRecord;
  percentage: number;
}[] {
  const mine = versions.filter((v) => v.worker === owner);
  const deployment = placement(owner);
  if (deployment) {
    const entries = orderSplit({
      entries: deployment.versions.map((e) => ({
        ...e,
        createdAt: mine.find((v) => v.id === e.versionId)?.createdAt ?? "",
      })),
    });
    const out = entries.flatMap((e) => {
      const version = mine.find((v) => v.id === e.versionId);
      return version && definesClass(version, className) ? [{ version, percentage: e.percentage }] : [];
    });
    if (out.length > 0) return out;
  }
  const newest = [...mine].reverse().find((v) => definesClass(v, className));
  return newest ? [{ version: newest, percentage: 100 }] : [];
}

interface VersionWorkerOptions {
  v: VersionRecord;
  hosts: (owner: string, className: string) => { version: VersionRecord; percentage: number }[];
  adminToken: string;
  signals: ServiceHandler;
}

/** Durable Object bindings of one version: the user's names plus one namespace per host for the entry wrapper. */
function durableObjectBindings({ v, hosts }: Pick<VersionWorkerOptions, "v" | "hosts">) {
  const durableObjects: NonNullable<WorkerOptions["durableObjects"]> = {};
  const routes: Record<string, DurableObjectRoute> = {};
  for (const d of v.bindings.durableObjects) {
    const owner = d.scriptName ?? v.worker;
    const list = hosts(owner, d.className);
    // A class in a Worker that was never uploaded has nowhere to run; the binding is left out and the docs say so.
    const [first] = list;
    if (!first) continue;
    const unsafeUniqueKey = `${owner}-${d.className}`;
    const ns = (host: VersionRecord) => ({
      className: d.className,
      scriptName: host.runtimeName,
      useSQLite: d.sqlite,
      unsafeUniqueKey,
    });
    // The user's own binding reaches the host with the largest share (versions uploaded before routing existed use it).
    const top = [...list].sort((a, b) => b.percentage - a.percentage)[0] ?? first;
    durableObjects[d.binding] = ns(top.version);
    routes[d.binding] = {
      className: d.className,
      hosts: list.map((h, i) => {
        const binding = `__BLASTWALL_DO_${d.binding}_${i}`;
        durableObjects[binding] = ns(h.version);
        return { binding, versionId: h.version.id, percentage: h.percentage };
      }),
    };
  }
  return { durableObjects, routes };
}

function versionWorker({ v, hosts, adminToken, signals }: VersionWorkerOptions): WorkerOptions {
  const b = v.bindings;
  const { durableObjects, routes } = durableObjectBindings({ v, hosts });
  const jsonBindings: Record<string, unknown> = {
    ...b.vars,
    BLASTWALL_ADMIN_TOKEN: adminToken,
    [DO_ROUTES_BINDING]: routes,
  };
  if (b.versionMetadata) {
    jsonBindings[b.versionMetadata] = { id: v.id, tag: v.tag ?? "", timestamp: v.createdAt };
  }
  return {
    name: v.runtimeName,
    modulesRoot: v.bundleDir,
    modules: v.modules.map((f) => ({
      type: f.endsWith(".wasm") ? "CompiledWasm" : /\.m?js$/.test(f) ? "ESModule" : "Text",
      path: join(v.bundleDir, f),
    })),
    compatibilityDate: v.compatibilityDate,
    compatibilityFlags: v.compatibilityFlags,
    bindings: jsonBindings as Record<string, Json>,
    d1Databases: Object.fromEntries(b.d1.map((d) => [d.binding, d.id])),
    kvNamespaces: Object.fromEntries(b.kv.map((k) => [k.binding, k.id])),
    r2Buckets: Object.fromEntries(b.r2.map((r) => [r.binding, r.bucket])),
    durableObjects,
    serviceBindings: { [SIGNALS_BINDING]: signals },
    queueProducers: Object.fromEntries(
      b.producers.map((p) => [
        p.binding,
        { queueName: p.queue, ...(p.deliveryDelay !== undefined ? { deliveryDelay: p.deliveryDelay } : {}) },
      ]),
    ),
    unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
  };
}

type Json = NonNullable<WorkerOptions["bindings"]>[string];
