import { existsSync, readFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '../services/archive/history-json';
import {
  buildTimeline as buildStoredTimeline,
  loadStoredHistory,
  type LoadedHistory,
  type Timeline,
} from '../services/archive/timeline';
import type { Database } from '../db/client';
import { installRuntimeLogger, workflowsPath } from '../worker/create-worker';

export type { LoadedHistory, Timeline, TimelineEntry } from '../services/archive/timeline';

/**
 * A workflow's history: from a JSON file when `target` is a path, else from Temporal, else from
 * the `workflow_histories` archive (latest archived run).
 */
export async function loadHistory(
  deps: { db: Database; client?: Client },
  target: string,
): Promise<LoadedHistory> {
  if (existsSync(target)) {
    const history = historyFromJSON(readFileSync(target, 'utf8'));
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    return { workflowId: started?.workflowId ?? target, history, origin: 'file' };
  }
  return loadStoredHistory(deps, target);
}

/**
 * One timeline of a workflow (or of a history file): its Temporal history events and the
 * ledger events whose context names it, in time order, cross-linked by run id + activity id.
 */
export function buildTimeline(
  deps: { db: Database; client?: Client },
  workflowId: string,
): Promise<Timeline> {
  return buildStoredTimeline(deps, workflowId, loadHistory);
}

/**
 * Replays a history (by workflow id: Temporal, else the archive; or a JSON file) against the
 * current workflow code. Throws DeterminismViolationError when the code no longer matches.
 */
export async function replayHistory(
  deps: { db: Database; client?: Client },
  target: string,
): Promise<LoadedHistory> {
  const loaded = await loadHistory(deps, target);
  installRuntimeLogger();
  await Worker.runReplayHistory({ workflowsPath }, loaded.history, loaded.workflowId);
  return loaded;
}
