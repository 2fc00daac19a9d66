import { Context } from '@temporalio/activity';
import type { AuditStamp } from '../services/audit-stamp';
import { activityAuditContext, businessEventKey } from './audit-context';

/** The running activity's provenance for services that write ledger events (see {@link AuditStamp}). */
export function activityStamp(defaultActor: string): AuditStamp {
  const info = Context.current().info;
  return {
    actorId: info.workflowType ?? defaultActor,
    workflowId: info.workflowExecution?.workflowId ?? '',
    runId: info.workflowExecution?.runId ?? '',
    step: (step) => ({ context: activityAuditContext(step), idempotencyKey: businessEventKey(step) }),
  };
}
