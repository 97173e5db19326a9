import { BlastwallError } from "../../core/errors.js";
import type { DeadLetter, ReplayOptions, ReplayResult } from "../platform.js";
import type { CloudflareApi } from "./api.js";

/** A message as the Queues REST API answers `messages/pull` and `messages/peek`. */
export interface ApiQueueMessage {
  id?: string;
  body?: string;
  attempts?: number;
  timestamp_ms?: number;
  /** pull only: what `messages/ack` retires. */
  lease_id?: string;
  /** `CF-Content-Type` says how the body was sent: json, text, bytes or v8. */
  metadata?: Record<string, unknown>;
}

export interface DlqReplayDeps {
  api: CloudflareApi;
  /** Resolves a queue name to its id (404 → a usable error). */
  queueId(name: string): Promise<string>;
}

/** Pull batch size and the lease a replayed batch holds while it is re-sent (the API caps batches at 100). */
const BATCH = 100;
const LEASE_MS = 60_000;

function contentType(m: ApiQueueMessage): string {
  const t = m.metadata?.["CF-Content-Type"];
  return typeof t === "string" ? t : "json";
}

function toDeadLetter(m: ApiQueueMessage): DeadLetter {
  const body = contentType(m) === "json" || contentType(m) === "text" ? decodeBody(m) : "";
  const preview = contentType(m) === "json" || contentType(m) === "text" ? body : `<${contentType(m)} body>`;
  return {
    id: m.id ?? "",
    replayId: m.id ?? "",
    ...(m.attempts === undefined ? {} : { attempts: m.attempts }),
    ...(m.timestamp_ms === undefined ? {} : { timestamp: new Date(m.timestamp_ms).toISOString() }),
    preview: preview.length > 120 ? `${preview.slice(0, 119)}…` : preview,
  };
}

/**
 * The body as the producer sent it. The pull API base64-encodes `json` and `bytes` bodies (they are bytes on the
 * wire); `text` comes as is.
 */
export function decodeBody(m: ApiQueueMessage): string {
  const body = m.body ?? "";
  return contentType(m) === "text" ? body : Buffer.from(body, "base64").toString("utf8");
}

/**
 * The REST API re-sends text and JSON bodies only; `bytes` and `v8` bodies stay in the DLQ. A JSON body is parsed
 * from its decoded text, so the queue serialises it back to the same bytes; one that does not parse stays in the DLQ
 * rather than going out as something else.
 */
function outgoing(m: ApiQueueMessage): { body: unknown; content_type: "json" | "text" } | undefined {
  const type = contentType(m);
  if (type === "text") return { body: m.body ?? "", content_type: "text" };
  if (type !== "json") return undefined;
  try {
    return { body: JSON.parse(decodeBody(m)) as unknown, content_type: "json" };
  } catch {
    return undefined;
  }
}

interface HttpPullConsumer {
  type?: string;
  settings?: { max_retries?: number; visibility_timeout_ms?: number };
}

/**
 * Pulling needs an HTTP pull consumer on the DLQ. Each pull counts as a delivery attempt, and past the consumer's
 * `max_retries` Cloudflare deletes the message, so the replay says how many attempts are left.
 */
async function pullConsumer(api: CloudflareApi, dlqId: string, dlq: string): Promise<HttpPullConsumer> {
  const consumers = await api.account<HttpPullConsumer[]>(`/queues/${dlqId}/consumers`);
  const pull = consumers.find((c) => c.type === "http_pull");
  if (!pull) {
    throw new BlastwallError(`${dlq} has no HTTP pull consumer, so its messages cannot be read over the API`, {
      kind: "input",
      fix: `add one (it changes no Worker): wrangler queues consumer http add ${dlq} --message-retries 100`,
    });
  }
  return pull;
}

type Post = <T>(path: string, body: unknown, idempotent?: boolean) => Promise<T>;

interface ReplayRun {
  post: Post;
  sourceId: string;
  dlqId: string;
  replayed: DeadLetter[];
  /** Pulled but not re-sendable (bytes, v8, or JSON that does not parse), with their attempts so far. */
  skipped: ApiQueueMessage[];
  remaining?: number;
}

const msgPath = (id: string, op: string) => `/queues/${id}/messages/${op}`;

/** Pulls one batch, re-sends what it can, then acks exactly those. False when the DLQ had nothing left to send. */
async function replayBatch(run: ReplayRun, want: number): Promise<boolean> {
  const pulled = await run.post<{ messages?: ApiQueueMessage[]; message_backlog_count?: number }>(
    msgPath(run.dlqId, "pull"),
    { batch_size: want, visibility_timeout_ms: LEASE_MS },
  );
  const batch = pulled.messages ?? [];
  run.remaining = pulled.message_backlog_count;
  if (batch.length === 0) return false;
  const sendable = batch.flatMap((m) => {
    const out = outgoing(m);
    return out && m.lease_id ? [{ m, out, lease: m.lease_id }] : [];
  });
  run.skipped.push(...batch.filter((m) => !sendable.some((s) => s.m === m)));
  if (sendable.length === 0) return false;
  await run.post(msgPath(run.sourceId, "batch"), { messages: sendable.map((s) => s.out) }, false);
  // Only now: a failed send leaves the leases to expire, and the messages stay in the DLQ.
  await run.post(msgPath(run.dlqId, "ack"), { acks: sendable.map((s) => ({ lease_id: s.lease })), retries: [] });
  run.replayed.push(...sendable.map((s) => toDeadLetter(s.m)));
  return true;
}

function skippedError(run: ReplayRun, queue: string, dlq: string, maxRetries: number | undefined): BlastwallError {
  const worst = Math.max(...run.skipped.map((m) => m.attempts ?? 0));
  const left =
    maxRetries === undefined
      ? ""
      : `; each run counts an attempt, and after ${Math.max(0, maxRetries - worst)} more Cloudflare deletes them`;
  return new BlastwallError(
    `replayed ${run.replayed.length} message(s); ${run.skipped.length} left in ${dlq}: their bodies are bytes, v8 or not JSON, which the REST API cannot re-send${left}`,
    { kind: "failure", fix: `replay those from a Worker bound to ${queue}, or re-send them with content type json` },
  );
}

/**
 * `queues dlq replay` on Cloudflare, through an HTTP pull consumer on the DLQ: pull a batch (leased), send its
 * messages to the source queue in one `messages/batch` call, then ack their leases. A message leaves the DLQ only
 * after it was re-sent, so nothing is lost; a run killed between send and ack re-sends that one batch when the
 * lease expires (at-least-once; consumers dedupe by their own idempotency key). A second run after a complete one
 * finds the DLQ empty and sends nothing. Dry runs use `messages/peek`, which leases nothing and counts no attempt.
 *
 * @example
 * const replay = createDlqReplay({ api, queueId: async (n) => (await queueByName(n)).queue_id });
 * await replay("order-events", "order-events-dlq", { dryRun: true });
 */
export function createDlqReplay({ api, queueId }: DlqReplayDeps) {
  const post: Post = (p, body, idempotent = true) =>
    api.account(p, { method: "POST", body: JSON.stringify(body), idempotent });
  return async (queue: string, deadLetterQueue: string, { dryRun = false, limit }: ReplayOptions = {}) => {
    const [sourceId, dlqId] = await Promise.all([queueId(queue), queueId(deadLetterQueue)]);
    const consumer = await pullConsumer(api, dlqId, deadLetterQueue);
    if (dryRun) {
      const peeked = await post<{ messages?: ApiQueueMessage[] }>(msgPath(dlqId, "peek"), {
        batch_size: Math.min(limit ?? BATCH, BATCH),
      });
      const messages = (peeked.messages ?? []).map(toDeadLetter);
      return { queue, deadLetterQueue, dryRun, messages } satisfies ReplayResult;
    }
    const run: ReplayRun = { post, sourceId, dlqId, replayed: [], skipped: [] };
    for (;;) {
      const want = Math.min(BATCH, (limit ?? Number.POSITIVE_INFINITY) - run.replayed.length);
      if (want <= 0 || !(await replayBatch(run, want))) break;
    }
    if (run.skipped.length > 0) throw skippedError(run, queue, deadLetterQueue, consumer.settings?.max_retries);
    const { replayed: messages, remaining } = run;
    return {
      queue,
      deadLetterQueue,
      dryRun,
      messages,
      ...(remaining === undefined ? {} : { remaining: Math.max(0, remaining - messages.length) }),
    } satisfies ReplayResult;
  };
}
