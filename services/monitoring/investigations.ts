import { randomUUID } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import {
  alertInvestigationWorkflow,
  assignUpdate,
  closeUpdate,
  decideUpdate,
  investigationStateQuery,
  investigationWorkflowId,
  type AlertInvestigationWorkflow,
  type Decide,
  type InvestigationSla,
  type InvestigationState,
  type InvestigationStepRecord,
} from '../../contracts/alert-investigation';
import { startWorkflow } from '../../contracts/workflow-ref';
import type { EventContext } from '../../core/audit-event';
import type { Database } from '../../db/client';
import { createLedger, type Ledger } from '../../ledger/ledger';
import { InputError } from '../../runtime/errors';
import { PrincipalError, requirePrincipal } from '../principals/principals';
import { recordUpdateAuthorized, recordWorkflowStart } from '../principals/workflow-starts';
import { getAlert } from './alerts';
import { MONITORING_STREAM } from './deps';

/** Where investigations run. */
export interface InvestigationDeps {
  client: Client;
  taskQueue: string;
  db: Database;
  /** SLA of investigations this caller opens (default: the contract's). */
  sla?: InvestigationSla;
}

/**
 * Records one investigation step in the ledger (stream `monitoring`, resource
 * `monitoring_investigation`/alert id, case id = alert id, subject = account), idempotent by
 * `idempotencyKey`, so a retried activity finds its event.
 */
export async function recordInvestigationStep(
  ledger: Ledger,
  rec: InvestigationStepRecord,
  stamp: { idempotencyKey: string; context: EventContext },
): Promise<{ seq: number }> {
  const r = await ledger.append(
    {
      event_type: `monitoring.investigation_${rec.step}`,
      actor: rec.actor,
      resource: { type: 'monitoring_investigation', id: rec.alertId },
      action: rec.step,
      outcome: 'success',
      subject_id: rec.accountId,
      case_id: rec.alertId,
      context: stamp.context,
      payload: { step_index: rec.index, ...rec.details },
    },
    { stream: MONITORING_STREAM, idempotencyKey: stamp.idempotencyKey },
  );
  return { seq: r.seq };
}

/**
 * Opens the investigation of each alert unless it already exists (open or closed: one per
 * alert, ever). Safe to call again for the same alerts (the feed does on redelivery). The opener
 * (the feed service, or a principal already authorized to assign) is recorded as the start.
 */
export async function openInvestigations(
  deps: InvestigationDeps,
  alertIds: string[],
  openedBy: { type: 'user' | 'service'; id: string },
): Promise<number> {
  let started = 0;
  for (const id of alertIds) {
    const alert = await getAlert(deps.db, id);
    if (!alert || alert.mode !== 'live') continue;
    await recordWorkflowStart(createLedger(deps.db), {
      principalId: openedBy.id,
      action: openedBy.type === 'service' ? 'monitoring.ingest' : 'alerts.assign',
      service: openedBy.type === 'service',
      workflowId: investigationWorkflowId(id),
      workflowType: alertInvestigationWorkflow.name,
    });
    try {
      await startWorkflow(deps.client, alertInvestigationWorkflow, {
        workflowId: investigationWorkflowId(id),
        taskQueue: deps.taskQueue,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        args: [
          {
            alertId: id,
            accountId: alert.account_id,
            typology: alert.typology,
            decision: alert.decision as 'alert' | 'block',
            openedBy,
            ...(deps.sla ? { sla: deps.sla } : {}),
          },
        ],
      });
      started++;
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }
  return started;
}

const handle = (client: Client, alertId: string) =>
  client.workflow.getHandle<AlertInvestigationWorkflow>(investigationWorkflowId(alertId));

/**
 * Records that `by` (already authorized for `action`) sends Update `name` to the alert's
 * investigation and returns the Update id to send it with: the activity recording the step checks
 * the record, so an Update sent straight through Temporal cannot name a principal.
 */
async function authorizedUpdateId(
  db: Database,
  alertId: string,
  by: string,
  action: string,
  name: string,
): Promise<string> {
  const updateId = randomUUID();
  await recordUpdateAuthorized(createLedger(db), {
    principalId: by,
    action,
    workflowId: investigationWorkflowId(alertId),
    updateName: name,
    updateId,
  });
  return updateId;
}

/** Turns a refused Update or a missing/closed workflow into one clear line. */
async function refusedAs<T>(client: Client, alertId: string, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError)
      throw new InputError(`${what} refused: ${err.cause?.message ?? err.message}`);
    if (err instanceof WorkflowNotFoundError || /already completed/i.test(String((err as Error).message))) {
      // An Update to a finished workflow also answers "not found": tell the two apart.
      const closed = await handle(client, alertId)
        .describe()
        .then((x) => x.status.name !== 'RUNNING')
        .catch(() => false);
      throw new InputError(
        closed
          ? `${what} refused: the investigation of alert ${alertId} is closed`
          : `alert ${alertId} has no investigation (assign it first: ledgerflow alerts assign)`,
      );
    }
    throw err;
  }
}

/**
 * Assigns an alert to an analyst (a known principal allowed to decide alerts), opening its
 * investigation first when none exists. `by` is the authenticated principal.
 */
export async function assignAlert(
  deps: InvestigationDeps,
  alertId: string,
  by: string,
  analyst: string,
): Promise<InvestigationState> {
  const alert = await getAlert(deps.db, alertId);
  if (!alert || alert.mode !== 'live') throw new InputError(`no live alert ${alertId}`);
  try {
    await requirePrincipal(deps.db, analyst, 'alerts.decide');
  } catch (err) {
    if (err instanceof PrincipalError) throw new InputError(`cannot assign to ${analyst}: ${err.message}`);
    throw err;
  }
  await openInvestigations(deps, [alertId], { type: 'user', id: by });
  const updateId = await authorizedUpdateId(deps.db, alertId, by, 'alerts.assign', assignUpdate.name);
  return refusedAs(deps.client, alertId, 'assignment', () =>
    handle(deps.client, alertId).executeUpdate(assignUpdate, { args: [{ by, analyst }], updateId }),
  );
}

/** The assigned analyst's decision (`by` is the authenticated principal). */
export async function decideAlert(
  deps: Pick<InvestigationDeps, 'client' | 'db'>,
  alertId: string,
  by: string,
  decision: Decide['decision'],
  reason: string,
): Promise<InvestigationState> {
  const updateId = await authorizedUpdateId(deps.db, alertId, by, 'alerts.decide', decideUpdate.name);
  return refusedAs(deps.client, alertId, 'decision', () =>
    handle(deps.client, alertId).executeUpdate(decideUpdate, { args: [{ by, decision, reason }], updateId }),
  );
}

/** Closes a decided investigation; refused when `by` is the analyst who decided (four eyes). */
export async function closeAlert(
  deps: Pick<InvestigationDeps, 'client' | 'db'>,
  alertId: string,
  by: string,
  reason?: string,
): Promise<InvestigationState> {
  const updateId = await authorizedUpdateId(deps.db, alertId, by, 'alerts.close', closeUpdate.name);
  return refusedAs(deps.client, alertId, 'closing', () =>
    handle(deps.client, alertId).executeUpdate(closeUpdate, {
      args: [{ by, ...(reason ? { reason } : {}) }],
      updateId,
    }),
  );
}

/** The investigation's state (open or closed). */
export async function investigationState(
  deps: Pick<InvestigationDeps, 'client'>,
  alertId: string,
): Promise<InvestigationState> {
  return refusedAs(deps.client, alertId, 'query', () =>
    handle(deps.client, alertId).query(investigationStateQuery),
  );
}
