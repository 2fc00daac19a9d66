import { finishBatch, screenBatch, screenBatchChunk, type BatchChunkInput } from './batch';
import { resolveScreeningDeps, type ScreeningDeps } from './deps';
import { recordFalsePositive } from './exceptions';
import { listStatus } from './list-status';
import { loadList } from './load-list';
import { rescreenChanged } from './rescreen';
import { screenName } from './screen';
import type {
  BatchProgress,
  FalsePositiveInput,
  LoadListInput,
  RescreenInput,
  ScreenBatchInput,
  ScreenNameInput,
} from './types';

export type { ScreeningDeps } from './deps';
export type { ListStatus } from './list-status';
export type { RescreenResult } from './rescreen';
export * from './types';
export { contentHashOf, entryHashOf, subjectKeyOf } from './ids';
export { writeReport } from './report';
export { listStatus } from './list-status';

/**
 * The screening operations bound to their dependencies. Build one per process (CLI command,
 * worker): it caches the matcher index over the active lists between calls.
 */
export function createScreeningService(deps: ScreeningDeps) {
  const s = resolveScreeningDeps(deps);
  return {
    loadList: (input: LoadListInput) => loadList(s, input),
    listStatus: () => listStatus(s.db),
    screenName: (input: ScreenNameInput) => screenName(s, input),
    screenBatch: (input: ScreenBatchInput, heartbeat?: (p: BatchProgress) => void) =>
      screenBatch(s, input, heartbeat),
    screenBatchChunk: (input: BatchChunkInput) => screenBatchChunk(s, input),
    finishBatch: (input: Parameters<typeof finishBatch>[1]) => finishBatch(s, input),
    recordFalsePositive: (input: FalsePositiveInput) => recordFalsePositive(s, input),
    rescreenChanged: (input: RescreenInput) => rescreenChanged(s, input),
  };
}

export type ScreeningService = ReturnType<typeof createScreeningService>;
