import { signPostureReport, type SignedPostureReport } from '../../core/posture/signing';
import type { PostureReport } from '../../core/posture/types';
import { COMPLIANCE_STREAM } from '../../core/retention/types';
import type { JsonObject } from '../../core/json-value';
import type { Signer } from '../../core/signing';
import type { EventContext } from '../../core/audit-event';
import type { Ledger } from '../../ledger/ledger';

/** Event type of a stored posture report (stream `compliance`). */
export const POSTURE_REPORT_EVENT = 'compliance.posture_reported';

export interface RecordedReport {
  stream: string;
  seq: number;
  event_id: string;
  key_id: string;
}

/**
 * Stores a report in the ledger as one hash-chained `compliance` event whose payload is the
 * report with an Ed25519 signature over its canonical JSON. Idempotent by `idempotencyKey`.
 */
export async function recordPostureReport(
  deps: { ledger: Ledger; signer: Signer },
  report: PostureReport,
  opts: { actor: { type: 'workflow' | 'user'; id: string }; idempotencyKey: string; context?: EventContext },
): Promise<RecordedReport> {
  const signed: SignedPostureReport = signPostureReport(report, deps.signer);
  const r = await deps.ledger.append(
    {
      event_type: POSTURE_REPORT_EVENT,
      actor: opts.actor,
      resource: { type: 'posture', id: 'report' },
      action: 'assess',
      outcome: report.ok ? 'success' : 'error',
      context: opts.context ?? {},
      payload: signed as unknown as JsonObject,
    },
    { stream: COMPLIANCE_STREAM, idempotencyKey: opts.idempotencyKey },
  );
  return { stream: r.stream, seq: r.seq, event_id: r.eventId, key_id: deps.signer.keyId };
}
