import { z } from 'zod';

/** Application ids are the workflow ids: a duplicate submission finds the existing workflow. */
export const ApplicationIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{3,64}$/, 'must be 3-64 letters, digits, "_" or "-"');

export const PrincipalIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._@-]{1,99}$/, 'must be 2-100 chars of a-z, 0-9, ".", "_", "@" or "-"');

export const PRINCIPAL_ROLES = ['admin', 'operator', 'reviewer'] as const;
export type PrincipalRole = (typeof PRINCIPAL_ROLES)[number];

export const ARCHIVER_WORKFLOW_TYPE = 'archiveWorkflowHistory';
/** Ledger stream of loan business events; provider call telemetry goes to its own stream. */
export const LOAN_STREAM = 'loan';
export const TELEMETRY_STREAM = 'telemetry';
export const PROVENANCE_STREAM = 'provenance';

/** Workflow id of the archiver of one closed run. */
export function archiverWorkflowId(workflowId: string, runId: string): string {
  return `history-archive:${workflowId}:${runId}`;
}

/** Workflow id of the batch history archiver of one task queue (one per queue: its worker runs it). */
export function batchArchiverWorkflowId(taskQueue: string): string {
  return `history-archiver:${taskQueue}`;
}
