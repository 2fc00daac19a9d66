import { defineQuery, defineSignal } from '@temporalio/workflow';
import { z } from 'zod';
import { workflowRef } from './workflow-ref';

/** Contract of the `archiveWorkflowHistory` workflow (workflows/history-archiver.ts). */

export const ArchiveWorkflowHistoryInputSchema = z.object({
  workflowId: z.string().min(1),
  runId: z.string().min(1),
});
export type ArchiveWorkflowHistoryInput = z.infer<typeof ArchiveWorkflowHistoryInputSchema>;

export const ArchiveWorkflowHistoryResultSchema = z.object({
  /** SHA-256 (hex) of the archived history JSON. */
  digest: z.string(),
  /** Seq of the `workflow.history_archived` event in the provenance stream. */
  ledgerSeq: z.number().int(),
});
export type ArchiveWorkflowHistoryResult = z.infer<typeof ArchiveWorkflowHistoryResultSchema>;

/** Failure types of the history archiver. */
export const HistoryArchiveFailure = {
  /** The run to archive has not closed yet: retried until it has. */
  WorkflowNotClosed: 'WorkflowNotClosed',
} as const;

export type ArchiveWorkflowHistoryWorkflow = (
  input: ArchiveWorkflowHistoryInput,
) => Promise<ArchiveWorkflowHistoryResult>;

/** Typed reference to the `archiveWorkflowHistory` workflow (started by loanOrigination). */
export const archiveWorkflowHistoryWorkflow =
  workflowRef<ArchiveWorkflowHistoryWorkflow>('archiveWorkflowHistory');

/** A closed (or closing) run named for the batch archiver. */
export const RunToArchiveSchema = z.object({ workflowId: z.string().min(1), runId: z.string().min(1) });
export type RunToArchive = z.infer<typeof RunToArchiveSchema>;

/** Input of `archiveClosedRuns`: runs carried over from the previous run of its chain. */
export const ArchiveClosedRunsInputSchema = z.object({ pending: z.array(RunToArchiveSchema).default([]) });
export type ArchiveClosedRunsInput = z.input<typeof ArchiveClosedRunsInputSchema>;

/**
 * Signal to the batch archiver: this run is closing (sent by its last activity); archive its
 * history once it has closed.
 */
export const runClosingSignal = defineSignal<[RunToArchive]>('runClosing');

/** Query of the batch archiver: how many named runs are not archived (or refused) yet. */
export const pendingRunsQuery = defineQuery<number>('pendingRuns');

export type ArchiveClosedRunsWorkflow = (input: ArchiveClosedRunsInput) => Promise<void>;

/**
 * The batch history archiver: one long-running workflow per task queue (signal-with-start by the
 * loan's last activity), archiving closed runs in batches. Replaces one archiver child per run.
 */
export const archiveClosedRunsWorkflow = workflowRef<ArchiveClosedRunsWorkflow>('archiveClosedRuns');
