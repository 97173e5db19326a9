// blastwall/queues: queue consumers that are safe to retry.
export { type BackoffOptions, backoffSeconds, MAX_DELAY_SECONDS } from "./backoff.js";
export {
  type ConsumeOptions,
  type ConsumeResult,
  consume,
  type DeadLetter,
  type Handler,
  type HandlerContext,
  type MessageOutcome,
  type OutcomeReason,
  type PauseOptions,
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
export { type KvPauseSourceOptions, kvPauseSource, type PauseSource } from "./pause.js";
export type { InferInput, InferOutput, PlainIssue, StandardIssue, StandardSchemaV1 } from "./standard-schema.js";
export { type D1StoreOptions, d1Store } from "./stores/d1.js";
export { type DurableObjectStoreOptions, durableObjectStore, IdempotencyShard } from "./stores/durable-object.js";
export { KV_MIN_TTL_MS, type KvStoreOptions, kvStore } from "./stores/kv.js";
export {
  type ClaimResult,
  type IdempotencyRecord,
  type IdempotencyStore,
  type RecordState,
  type RecordStatus,
  stateOf,
} from "./stores/types.js";
