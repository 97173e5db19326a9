/**
 * blastwall/ops: ops flags and a kill switch that stop the bleeding without a redeploy.
 * See docs/guides/ops-flags.md.
 */
export { type AdminFlag, DEFAULT_TOKEN_VAR, type OpsAdmin, type OpsAdminOptions, opsAdmin } from "./admin.js";
export {
  createFlagReader,
  defineFlags,
  type FailMode,
  type FlagDefinition,
  type FlagDefinitions,
  type FlagErrorCode,
  type FlagEvaluation,
  type FlagName,
  type FlagReader,
  type FlagReaderOptions,
  type FlagReason,
  type FlagStore,
  findDefinition,
  isEnabledValue,
  isFlagName,
  type StoreRead,
} from "./flags.js";
export {
  type AuditEntry,
  type AuditQuery,
  BlastwallOpsFlags,
  type FlagChange,
  type FlagRecord,
  invalidFlagWrite,
  type SetFlagInput,
} from "./flags-object.js";
export {
  ADMIN_BASE_PATH,
  type FetchHandler,
  type KillSwitch,
  type KillSwitchOptions,
  killSwitch,
  type PausedBody,
} from "./kill-switch.js";
export { type Clock, createFlagMemo, type FlagMemo, StoreTimeoutError } from "./memo.js";
export {
  assertCanSend,
  canSend,
  EnqueueRefusedError,
  type GuardConsumerOptions,
  type GuardedQueue,
  type GuardProducerOptions,
  guardConsumer,
  guardProducer,
  pauseConsumerFlag,
  type QueueHandler,
} from "./queues.js";
export type { RoutePattern } from "./routes.js";
export {
  type DurableObjectFlagStore,
  type DurableObjectStoreOptions,
  durableObjectStore,
  type EnvStoreOptions,
  envStore,
  envVarName,
  KV_PREFIX,
  KV_PROPAGATION_MS,
  type KvFlagStore,
  type KvStoreOptions,
  kvStore,
} from "./stores.js";
