export {
  BrokerUnavailableError,
  DEFAULT_FEED_SETTINGS,
  DEFAULT_FEED_STREAM,
  connectBroker,
  ensureFeed,
  feedNames,
  type FeedNames,
  type FeedSettings,
} from './streams';
export {
  DEAD_LETTER_HEADERS,
  TransientFeedError,
  startFeedConsumer,
  type BatchOutcome,
  type BatchProcessor,
  type FeedConsumer,
  type FeedMessage,
  type FeedStats,
} from './consumer';
export { FEED_CALL, engineProcessor, parseBatch } from './engine-processor';
export { publishFile, type PublishSummary } from './publish';
export { listDeadLetters, type DeadLetter } from './dead-letters';
