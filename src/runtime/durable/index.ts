export {
  type DurableObjectErrorFlags,
  type RetryDurableOptions,
  retryDurable,
  shouldRetryDurable,
} from "./retry.js";
export { FanOutError, type FanOutOptions, fanOut, type ShardOptions, shardedStub, shardFor } from "./shard.js";
