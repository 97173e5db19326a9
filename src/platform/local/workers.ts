import { join } from "node:path";
import type { WorkerOptions } from "miniflare";
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

export interface EdgeWorkersOptions {
  versions: readonly VersionRecord[];
  /** Worker name → runtime name of the version that hosts its Durable Object classes. */
  doHosts: ReadonlyMap<string, string>;
  adminToken: string;
  d1Ids: readonly string[];
  kvIds: readonly string[];
  queues: readonly string[];
  broker: (request: Request) => Promise<Response>;
}

/**
 * The Miniflare worker list for the edge: the internal worker first, then one worker per version.
 * All versions bind the same D1/KV/R2 ids, so Miniflare gives them the same storage. Durable Object bindings of
 * every version point at the class in its host version, under a unique key that does not change when the host
 * does, so objects keep their storage across promotions.
 *
 * @example
 * const workers = edgeWorkers({ versions, doHosts, adminToken, d1Ids, kvIds, queues, broker });
 */
export function edgeWorkers({
  versions,
  doHosts,
  adminToken,
  d1Ids,
  kvIds,
  queues,
  broker,
}: EdgeWorkersOptions): WorkerOptions[] {
  const internal: WorkerOptions = {
    name: INTERNAL_WORKER,
    modules: true,
    script: INTERNAL_SOURCE,
    compatibilityDate: "2025-01-01",
    d1Databases: Object.fromEntries(d1Ids.map((id, i) => [d1BindingName(i), id])),
    kvNamespaces: Object.fromEntries(kvIds.map((id, i) => [kvBindingName(i), id])),
    serviceBindings: { BROKER: broker },
    // Batches leave Miniflare's in-memory broker at once; retries and DLQ are the edge broker's job.
    queueConsumers: Object.fromEntries(
      queues.map((q) => [q, { maxBatchSize: 100, maxBatchTimeout: 0, maxRetries: 100, retryDelay: 1 }]),
    ),
  };
  return [internal, ...versions.map((v) => versionWorker(v, doHosts, adminToken))];
}

function versionWorker(v: VersionRecord, doHosts: ReadonlyMap<string, string>, adminToken: string): WorkerOptions {
  const b = v.bindings;
  const jsonBindings: Record<string, unknown> = { ...b.vars, BLASTWALL_ADMIN_TOKEN: adminToken };
  if (b.versionMetadata) {
    jsonBindings[b.versionMetadata] = { id: v.id, tag: v.tag ?? "", timestamp: v.createdAt };
  }
  const durableObjects: NonNullable<WorkerOptions["durableObjects"]> = {};
  for (const d of b.durableObjects) {
    const owner = d.scriptName ?? v.worker;
    const host = doHosts.get(owner);
    // A class in a Worker that was never uploaded has nowhere to run; the binding is left out and the docs say so.
    if (!host) continue;
    durableObjects[d.binding] = {
      className: d.className,
      scriptName: host,
      useSQLite: d.sqlite,
      unsafeUniqueKey: `${owner}-${d.className}`,
    };
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
