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
