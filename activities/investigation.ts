import type { InvestigationStepRecord } from '../contracts/alert-investigation';
import type { Ledger } from '../ledger/ledger';
import { recordInvestigationStep } from '../services/monitoring/investigations';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { activityAuditContext, businessEventKey } from './audit-context';
import { UNAUTHORIZED_START, workflowInitiator } from './initiator';
import { authorizedUpdater } from '../services/principals/workflow-starts';

const workflowId = () => Context.current().info.workflowExecution?.workflowId ?? '';

/** Activities of the `alertInvestigation` workflow: thin adapters over services/monitoring. */
export function createInvestigationActivities(deps: { ledger: Ledger }) {
  return {
    /**
     * Records one step in the ledger; a retry finds the event (key: workflow, run, step index).
     * The investigation acts for its recorded opener: the `opened` step must name it, and a
     * principal's later step must come from an Update on record as sent by that principal.
     */
    async recordInvestigationStep(rec: InvestigationStepRecord): Promise<{ seq: number }> {
      const initiator = await workflowInitiator(deps.ledger.db);
      if (rec.step === 'opened' && rec.actor.id !== initiator)
        throw ApplicationFailure.create({
          type: UNAUTHORIZED_START,
          message: `investigation of alert ${rec.alertId}: its input names an opener other than the recorded one`,
          nonRetryable: true,
        });
      if (rec.step !== 'opened' && rec.actor.type === 'user') {
        const sender = rec.updateId
          ? await authorizedUpdater(deps.ledger.db, workflowId(), rec.updateId)
          : undefined;
        if (sender !== rec.actor.id)
          throw ApplicationFailure.create({
            type: UNAUTHORIZED_START,
            message: `investigation of alert ${rec.alertId}: the ${rec.step} Update is not on record as sent by the principal it names`,
            nonRetryable: true,
          });
      }
      const step = `investigation-${rec.index}-${rec.step}`;
      return recordInvestigationStep(deps.ledger, rec, {
        idempotencyKey: businessEventKey(step),
        context: { ...activityAuditContext(step), initiated_by: initiator },
      });
    },
  };
}
