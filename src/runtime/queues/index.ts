// blastwall/queues: queue consumers that are safe to retry.
export { type BackoffOptions, backoffSeconds, MAX_DELAY_SECONDS } from "./backoff.js";
export {
  type ConsumeOptions,
  type ConsumeResult,
  consume,
  DEFAULT_MAX_RETRIES,
  type DeadLetter,
  type Handler,
  type HandlerContext,
  type MessageOutcome,
  type OutcomeReason,
} from "./consume.js";
export {
  type Decoded,
  type DecodeFailure,
  defineMessage,
  type Envelope,
  envelopeKey,
  isEnvelope,
  type LatestVersion,
  type MessageData,
  type MessageDefinition,
  type MessageOptions,
  type Upcasters,
} from "./envelope.js";
export type { InferInput, InferOutput, PlainIssue, StandardIssue, StandardSchemaV1 } from "./standard-schema.js";
export { type D1IdempotencyOptions, d1Idempotency } from "./stores/d1.js";
export {
  type DurableObjectIdempotencyOptions,
  durableObjectIdempotency,
  IdempotencyShard,
} from "./stores/durable-object.js";
export { KV_MIN_TTL_MS, type KvIdempotencyOptions, kvIdempotency } from "./stores/kv.js";
export {
  type ClaimResult,
  type IdempotencyRecord,
  type IdempotencyStore,
  type RecordState,
  type RecordStatus,
  stateOf,
} from "./stores/types.js";
