import type { EventContext } from '../core/audit-event';

/**
 * Provenance of a ledger event written on behalf of a workflow: the activity supplies it (from
 * its Temporal context) per logical step, so services stay free of Temporal.
 */
export interface AuditStamp {
  /** Who acts: the workflow type, e.g. `retentionPurge`. */
  actorId: string;
  workflowId: string;
  runId: string;
  /** The event `context` and idempotency key of a logical step. */
  step(step: string): { context: EventContext; idempotencyKey: string };
}
