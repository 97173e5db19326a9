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
  const body = m.body ?? "";
  const preview = contentType(m) === "json" || contentType(m) === "text" ? body : `<${contentType(m)} body>`;
  return {
    id: m.id ?? "",
    replayId: m.id ?? "",
    ...(m.attempts === undefined ? {} : { attempts: m.attempts }),
    ...(m.timestamp_ms === undefined ? {} : { timestamp: new Date(m.timestamp_ms).toISOString() }),
    preview: preview.length > 120 ? `${preview.slice(0, 119)}…` : preview,
  };
}

/** The REST API re-sends text and JSON bodies only; `bytes` and `v8` bodies stay in the DLQ. */
function outgoing(m: ApiQueueMessage): { body: unknown; content_type: "json" | "text" } | undefined {
  const type = contentType(m);
  if (type === "text") return { body: m.body ?? "", content_type: "text" };
  if (type !== "json") return undefined;
  try {
    return { body: JSON.parse(m.body ?? "null") as unknown, content_type: "json" };
  } catch {
    return { body: m.body ?? "", content_type: "text" };
  }
}

/**
 * `queues dlq replay` on Cloudflare, through an HTTP pull consumer on the DLQ: pull a batch (leased), send its
 * messages to the source queue in one `messages/batch` call, then ack their leases. A message leaves the DLQ only
 * after it was re-sent, so nothing is lost; a run killed between send and ack re-sends that one batch when the
 * lease expires (at-least-once; consumers dedupe by their own idempotency key). A second run after a complete one
 * finds the DLQ empty and sends nothing. Dry runs use `messages/peek`, which leases nothing.
 *
 * @example
 * const replay = createDlqReplay({ api, queueId: async (n) => (await queueByName(n)).queue_id });
 * await replay("order-events", "order-events-dlq", { dryRun: true });
 */
export function createDlqReplay({ api, queueId }: DlqReplayDeps) {
  return async (queue: string, deadLetterQueue: string, { dryRun = false, limit }: ReplayOptions = {}) => {
    const [sourceId, dlqId] = await Promise.all([queueId(queue), queueId(deadLetterQueue)]);
    const path = (id: string, op: string) => `/queues/${id}/messages/${op}`;
    const post = <T>(p: string, body: unknown) => api.account<T>(p, { method: "POST", body: JSON.stringify(body) });
    if (dryRun) {
      const peeked = await post<{ messages?: ApiQueueMessage[] }>(path(dlqId, "peek"), {
        batch_size: Math.min(limit ?? BATCH, BATCH),
      });
      return {
        queue,
        deadLetterQueue,
        dryRun,
        messages: (peeked.messages ?? []).map(toDeadLetter),
      } satisfies ReplayResult;
    }
    const replayed: DeadLetter[] = [];
    let skipped = 0;
    let remaining: number | undefined;
    for (;;) {
      const want = Math.min(BATCH, (limit ?? Number.POSITIVE_INFINITY) - replayed.length);
      if (want <= 0) break;
      const pulled = await post<{ messages?: ApiQueueMessage[]; message_backlog_count?: number }>(path(dlqId, "pull"), {
        batch_size: want,
        visibility_timeout_ms: LEASE_MS,
      });
      const batch = pulled.messages ?? [];
      remaining = pulled.message_backlog_count;
      if (batch.length === 0) break;
      const sendable = batch.flatMap((m) => {
        const out = outgoing(m);
        return out && m.lease_id ? [{ m, out, lease: m.lease_id }] : [];
      });
      skipped += batch.length - sendable.length;
      if (sendable.length === 0) break;
      await post(path(sourceId, "batch"), { messages: sendable.map((s) => s.out) });
      // Only now: a failed send leaves the leases to expire, and the messages stay in the DLQ.
      await post(path(dlqId, "ack"), { acks: sendable.map((s) => ({ lease_id: s.lease })), retries: [] });
      replayed.push(...sendable.map((s) => toDeadLetter(s.m)));
    }
    if (skipped > 0) {
      throw new BlastwallError(
        `replayed ${replayed.length} message(s); ${skipped} left in ${deadLetterQueue}: their bodies are bytes or v8, which the REST API cannot re-send`,
        {
          kind: "failure",
          fix: `replay those from a Worker bound to ${queue}, or re-send them with content type json`,
        },
      );
    }
    return {
      queue,
      deadLetterQueue,
      dryRun,
      messages: replayed,
      ...(remaining === undefined ? {} : { remaining: Math.max(0, remaining - replayed.length) }),
    } satisfies ReplayResult;
  };
}
