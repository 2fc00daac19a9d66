import type { InvestigationStepRecord } from '../contracts/alert-investigation';
import type { Ledger } from '../ledger/ledger';
import { recordInvestigationStep } from '../services/monitoring/investigations';
import { activityAuditContext, businessEventKey } from './audit-context';

/** Activities of the `alertInvestigation` workflow: thin adapters over services/monitoring. */
export function createInvestigationActivities(deps: { ledger: Ledger }) {
  return {
    /** Records one step in the ledger; a retry finds the event (key: workflow, run, step index). */
    async recordInvestigationStep(rec: InvestigationStepRecord): Promise<{ seq: number }> {
      const step = `investigation-${rec.index}-${rec.step}`;
      return recordInvestigationStep(deps.ledger, rec, {
        idempotencyKey: businessEventKey(step),
        context: activityAuditContext(step),
      });
    },
  };
}
