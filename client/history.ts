import { existsSync, readFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '../services/archive/history-json';
import {
  buildTimeline as buildStoredTimeline,
  loadStoredHistory,
  type LoadedHistory,
  type Timeline,
} from '../services/archive/timeline';
import type { Database } from '../db/client';
import { InputError } from '../runtime/errors';
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
    const history = readHistoryFile(target);
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

/**
 * A history JSON file (as `history export` or the Temporal UI writes it), or an {@link InputError}
 * saying in a few words why it is not one: never the file's content, which may be personal data.
 */
function readHistoryFile(file: string): History {
  const notAHistory = (why: string) =>
    new InputError(
      `${file} is not a workflow history (${why}); write one with "ledgerflow history export <workflowId> --out <file>"`,
    );
  const text = readFileSync(file, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw notAHistory('it is not JSON');
  }
  const events = (json as { events?: unknown } | null)?.events;
  if (!Array.isArray(events)) throw notAHistory('it has no "events" array');
  if (events.length === 0) throw notAHistory('its "events" array is empty');
  let history: History;
  try {
    history = historyFromJSON(text);
  } catch {
    throw notAHistory('its events are not Temporal history events');
  }
  if (!history.events?.[0]?.workflowExecutionStartedEventAttributes)
    throw notAHistory('it does not begin with WorkflowExecutionStarted');
  return history;
}
