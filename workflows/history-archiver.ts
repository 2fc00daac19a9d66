import {
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  ArchiveClosedRunsInputSchema,
  RunToArchiveSchema,
  pendingRunsQuery,
  runClosingSignal,
  type ArchiveClosedRunsWorkflow,
  type ArchiveWorkflowHistoryWorkflow,
  type RunToArchive,
} from '../contracts/history-archiver';
import { validateInput } from './validate-input';

const { archiveClosedWorkflow } = proxyActivities<Activities>({
  startToCloseTimeout: '60 seconds',
  // Retries until the archived run has closed (it usually closes within milliseconds).
  retry: {
    initialInterval: '250 milliseconds',
    backoffCoefficient: 1.5,
    maximumInterval: '10 seconds',
    maximumAttempts: 60,
  },
});

/**
 * Archives the history of another (closed) workflow run into PostgreSQL and seals its digest
 * into the ledger. Started by loanOrigination as an abandoned child just before it closes
 * (runs started before the batch archiver; see {@link archiveClosedRuns}).
 */
export const archiveWorkflowHistory: ArchiveWorkflowHistoryWorkflow = async (input) => {
  const r = await archiveClosedWorkflow(input);
  return { digest: r.digest, ledgerSeq: r.ledgerSeq };
};

const { archiveClosedRunBatch } = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/** First look at a run this long after its signal: it closes right after its last activity. */
const FIRST_LOOK_MS = 300;
/** A run still open is looked at again after twice the previous wait, at most this long. */
const MAX_WAIT_MS = 60_000;
const BATCH_MAX = 100;
/** Batches per run of the chain before it continues as new (a bounded history). */
const BATCHES_PER_RUN = 200;
/** An archiver with nothing to do this long ends (the next signal-with-start starts a new one). */
const IDLE_MS = 120_000;

const now = () => new Date().getTime();
const keyOf = (r: RunToArchive) => `${r.workflowId}\u0000${r.runId}`;

/**
 * The batch history archiver of one task queue: collects the runs named by `runClosing` signals
 * (sent by each loan run's last activity) and archives them in batches once closed, one activity
 * per batch. A run still open is looked at again later, with a growing wait; nothing is dropped
 * except runs that do not exist or have no authorized start (the activity refuses those).
 */
export const archiveClosedRuns: ArchiveClosedRunsWorkflow = async (raw) => {
  const input = validateInput(ArchiveClosedRunsInputSchema, raw);
  const pending = new Map<string, { run: RunToArchive; due: number; looks: number }>();
  const add = (run: RunToArchive) => {
    if (!pending.has(keyOf(run))) pending.set(keyOf(run), { run, due: now() + FIRST_LOOK_MS, looks: 0 });
  };
  setHandler(runClosingSignal, (run) => {
    const parsed = RunToArchiveSchema.safeParse(run);
    if (parsed.success) add(parsed.data);
  });
  setHandler(pendingRunsQuery, () => pending.size);
  input.pending.forEach(add);
  for (let batches = 0; batches < BATCHES_PER_RUN && !workflowInfo().continueAsNewSuggested; batches++) {
    if (pending.size === 0 && !(await condition(() => pending.size > 0, IDLE_MS))) return;
    const due = Math.min(...[...pending.values()].map((p) => p.due));
    if (due > now()) await sleep(due - now());
    const at = now();
    const batch = [...pending.values()].filter((p) => p.due <= at).slice(0, BATCH_MAX);
    const { open } = await archiveClosedRunBatch({ runs: batch.map((p) => p.run) });
    const stillOpen = new Set(open.map(keyOf));
    for (const p of batch) {
      if (!stillOpen.has(keyOf(p.run))) pending.delete(keyOf(p.run));
      else p.due = now() + Math.min(FIRST_LOOK_MS * 2 ** ++p.looks, MAX_WAIT_MS);
    }
  }
  await continueAsNew<ArchiveClosedRunsWorkflow>({ pending: [...pending.values()].map((p) => p.run) });
};
