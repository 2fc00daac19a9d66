import { hoursBetween } from '../../../core/posture/evaluate';
import { FRAMEWORK } from '../../../core/posture/types';
import { defineControl } from '../control';
import { verificationSignals, VERIFICATION_SQL } from '../signals';

type At = { seq: number; at: string } | null;

/** The ledger chain verification succeeded within its window and has not failed since. */
export const verificationRecent = defineControl<{ last_success: At; last_failure: At }>({
  definition: {
    id: 'verification-recent',
    title: 'Ledger verified within its window',
    description:
      'The latest ledger.verification_completed is at most verificationWindowHours old and no ledger.verification_failed followed it.',
    frameworks: [FRAMEWORK.soc2CC72, FRAMEWORK.pci104, FRAMEWORK.pci106, FRAMEWORK.hipaaAudit],
  },
  async probe({ db }) {
    const v = await verificationSignals(db);
    return {
      probe: VERIFICATION_SQL,
      observed: { last_success: v.lastSuccess, last_failure: v.lastFailure },
    };
  },
  evaluate(o, { now, settings }) {
    if (o.last_failure && (!o.last_success || o.last_failure.seq > o.last_success.seq))
      return {
        status: 'fail',
        detail: `the last verification failed (compliance#${o.last_failure.seq} at ${o.last_failure.at})`,
      };
    if (!o.last_success) return { status: 'fail', detail: 'no successful verification recorded' };
    const age = hoursBetween(o.last_success.at, now);
    return age > settings.verificationWindowHours
      ? {
          status: 'fail',
          detail: `last successful verification ${age.toFixed(1)} h ago (window ${settings.verificationWindowHours} h)`,
        }
      : {
          status: 'pass',
          detail: `last successful verification ${age.toFixed(1)} h ago (compliance#${o.last_success.seq})`,
        };
  },
});
