export {
  BrokerUnavailableError,
  DEFAULT_FEED_SETTINGS,
  DEFAULT_FEED_STREAM,
  FEED_PARTITIONS,
  accountSubject,
  connectBroker,
  ensureFeed,
  feedNames,
  partitionDurable,
  partitionOf,
  partitionSubject,
  type FeedNames,
  type FeedSettings,
} from './streams';
export {
  DEAD_LETTER_HEADERS,
  TransientFeedError,
  consumePartition,
  type BatchOutcome,
  type BatchProcessor,
  type FeedConsumer,
  type FeedMessage,
  type FeedStats,
  type PartitionLease,
} from './consumer';
export { DEFAULT_REBALANCE_MS, startFeedConsumer, type FeedMember } from './member';
export { FEED_CALL, engineProcessor, parseBatch } from './engine-processor';
export { publishFile, type PublishSummary } from './publish';
export { listDeadLetters, type DeadLetter } from './dead-letters';
