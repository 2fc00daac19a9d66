import type { InvestigationStepRecord } from '../contracts/alert-investigation';
import type { Ledger } from '../ledger/ledger';
import { recordInvestigationStep } from '../services/monitoring/investigations';
import { ApplicationFailure } from '@temporalio/activity';
import { activityAuditContext, businessEventKey } from './audit-context';
import { UNAUTHORIZED_START, workflowInitiator } from './initiator';

/** Activities of the `alertInvestigation` workflow: thin adapters over services/monitoring. */
export function createInvestigationActivities(deps: { ledger: Ledger }) {
  return {
    /**
     * Records one step in the ledger; a retry finds the event (key: workflow, run, step index).
     * The investigation acts for its recorded opener: the `opened` step must name it.
     */
    async recordInvestigationStep(rec: InvestigationStepRecord): Promise<{ seq: number }> {
      const initiator = await workflowInitiator(deps.ledger.db);
      if (rec.step === 'opened' && rec.actor.id !== initiator)
        throw ApplicationFailure.create({
          type: UNAUTHORIZED_START,
          message: `investigation of alert ${rec.alertId}: its input names an opener other than the recorded one`,
          nonRetryable: true,
        });
      const step = `investigation-${rec.index}-${rec.step}`;
      return recordInvestigationStep(deps.ledger, rec, {
        idempotencyKey: businessEventKey(step),
        context: { ...activityAuditContext(step), initiated_by: initiator },
      });
    },
  };
}
