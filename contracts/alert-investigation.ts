import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import { InvestigationDecisionSchema } from '../core/monitoring/investigation-decisions';
import { workflowRef } from './workflow-ref';

/**
 * Contract of the `alertInvestigation` workflow (one per monitoring alert) and its activity.
 * Workflow-safe: zod and types only.
 */

export {
  INVESTIGATION_DECISIONS,
  InvestigationDecisionSchema,
} from '../core/monitoring/investigation-decisions';

const principalId = z.string().trim().min(1).max(200);

/** How long each phase may take before the investigation escalates (once per phase). */
export const InvestigationSlaSchema = z
  .object({
    /** From opening to the first assignment. */
    assignWithinMs: z.number().int().positive(),
    /** From each assignment to the analyst's decision. */
    decideWithinMs: z.number().int().positive(),
  })
  .strict();
export type InvestigationSla = z.infer<typeof InvestigationSlaSchema>;

export const DEFAULT_INVESTIGATION_SLA: InvestigationSla = {
  assignWithinMs: 4 * 3_600_000,
  decideWithinMs: 48 * 3_600_000,
};

/** Who opened the investigation: the feed service, or the principal who first assigned it. */
export const OpenerSchema = z.object({ type: z.enum(['user', 'service']), id: principalId }).strict();

export const InvestigationInputSchema = z
  .object({
    alertId: z.string().uuid(),
    accountId: z.string().min(1).max(200),
    typology: z.string().min(1).max(100),
    decision: z.enum(['alert', 'block']),
    openedBy: OpenerSchema,
    sla: InvestigationSlaSchema.optional(),
  })
  .strict();
export type InvestigationInput = z.infer<typeof InvestigationInputSchema>;

/** Update: (re)assign the alert to an analyst. `by` is the authenticated principal. */
export const AssignSchema = z.object({ by: principalId, analyst: principalId }).strict();
export type Assign = z.infer<typeof AssignSchema>;

/** Update: the assigned analyst's decision. */
export const DecideSchema = z
  .object({
    by: principalId,
    decision: InvestigationDecisionSchema,
    reason: z.string().trim().min(1, 'a reason is required').max(2000),
  })
  .strict();
export type Decide = z.infer<typeof DecideSchema>;

/** Update: close after the decision; `by` must not be the analyst who decided (four eyes). */
export const CloseSchema = z
  .object({ by: principalId, reason: z.string().trim().max(2000).optional() })
  .strict();
export type Close = z.infer<typeof CloseSchema>;

export type InvestigationStatus = 'open' | 'assigned' | 'decided' | 'closed';
export type InvestigationStep = 'opened' | 'assigned' | 'escalated' | 'decided' | 'closed';
export interface StepActor {
  type: 'user' | 'service' | 'workflow';
  id: string;
}

/** The queryable state of one investigation. */
export interface InvestigationState {
  alertId: string;
  accountId: string;
  status: InvestigationStatus;
  analyst?: string;
  assignedBy?: string;
  assignedAt?: string;
  decision?: { decision: Decide['decision']; by: string; reason: string; at: string };
  closedBy?: string;
  closedAt?: string;
  /** SLA escalations, one per overdue phase. */
  escalations: Array<{ phase: 'assignment' | 'decision'; at: string; dueAt: string }>;
  /** Every step, with the acting principal, as recorded in the ledger. */
  steps: Array<{ step: InvestigationStep; by: StepActor; at: string }>;
}

export const investigationStateQuery = defineQuery<InvestigationState>('investigationState');
export const assignUpdate = defineUpdate<InvestigationState, [Assign]>('assignAnalyst');
export const decideUpdate = defineUpdate<InvestigationState, [Decide]>('decideAlert');
export const closeUpdate = defineUpdate<InvestigationState, [Close]>('closeInvestigation');

export type AlertInvestigationWorkflow = (input: InvestigationInput) => Promise<InvestigationState>;
export const alertInvestigationWorkflow = workflowRef<AlertInvestigationWorkflow>('alertInvestigation');

/** One investigation per alert: its workflow id. */
export const investigationWorkflowId = (alertId: string): string => `alert-investigation-${alertId}`;

/** One recorded step (the activity's input). `index` orders the steps and keys their idempotence. */
export interface InvestigationStepRecord {
  alertId: string;
  accountId: string;
  index: number;
  step: InvestigationStep;
  actor: StepActor;
  details: Record<string, string | number | null>;
  /** The Update that brought a principal's step (its authorization is on record under this id). */
  updateId?: string;
}
