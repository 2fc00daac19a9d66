import type { Actor, EventContext } from '../../core/audit-event';

/**
 * What a loan service needs to know about the workflow step it runs for. The activity adapter
 * builds it from the Temporal activity Context; services never see Temporal.
 */
export interface LoanStep {
  /** Provenance recorded as the `context` of every ledger event of the step. */
  auditContext(): EventContext;
  /** Idempotency key of the step's business event (workflow id + run id + step). */
  businessKey(): string;
  /** Idempotency key of per-attempt telemetry (includes the attempt number). */
  attemptKey(): string;
  /** The workflow acting (its type name). */
  workflowType: string;
  /** Actor of the step's events: the workflow (its id) acting for the principal in `auditContext().initiated_by`. */
  actor: Actor;
  /** Workflow run id, recorded on the application row. */
  runId?: string;
  /** Signals liveness while a slow call is in flight. */
  heartbeat(): void;
  /** Aborted when the step is cancelled. */
  signal: AbortSignal;
}

/** Builds the {@link LoanStep} of a logical step name (e.g. `enrich.credit-bureau`) of the running activity. */
export type StepOf = (name: string) => LoanStep;
