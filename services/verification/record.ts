import { COMPLIANCE_STREAM } from '../../core/retention/types';
import type { Ledger } from '../../ledger/ledger';
import { observeVerification } from '../../runtime/metrics';
import type { AuditStamp } from '../audit-stamp';
import type { VerificationRunResult } from './state';

export interface RecordedVerification {
  recorded: { stream: string; seq: number };
  alert?: { stream: string; seq: number };
}

/**
 * Records a verification run in the ledger (`ledger.verification_completed` or `_failed`); a
 * failure also raises a `ledger.alert_raised` event.
 */
export async function recordVerification(
  deps: { ledger: Ledger },
  input: { result: VerificationRunResult; requestedBy: string },
  stamp: AuditStamp,
): Promise<RecordedVerification> {
  const { result } = input;
  const bad = result.streams.find((s) => !s.valid);
  const detail = bad
    ? `stream ${bad.stream}: ${bad.detail ?? 'invalid'} (first bad seq ${bad.firstBadSeq})`
    : null;
  const rec = stamp.step('record-verification');
  const recorded = await deps.ledger.append(
    {
      event_type: result.ok ? 'ledger.verification_completed' : 'ledger.verification_failed',
      actor: { type: 'workflow', id: stamp.actorId },
      resource: { type: 'ledger', id: 'chain' },
      action: 'verify',
      outcome: result.ok ? 'success' : 'error',
      context: rec.context,
      payload: {
        requested_by: input.requestedBy,
        ok: result.ok,
        events_checked: result.eventsChecked,
        streams: result.streams.map((s) => ({ ...s })),
        mode: result.mode,
        state: result.state.map((s) => ({ ...s })),
        warnings: result.warnings,
        detail,
      },
    },
    { stream: COMPLIANCE_STREAM, idempotencyKey: rec.idempotencyKey },
  );
  let alert: { stream: string; seq: number } | undefined;
  if (!result.ok) {
    const raise = stamp.step('raise-alert');
    const a = await deps.ledger.append(
      {
        event_type: 'ledger.alert_raised',
        actor: { type: 'workflow', id: stamp.actorId },
        resource: { type: 'ledger', id: bad?.stream ?? 'chain' },
        action: 'alert',
        outcome: 'error',
        context: raise.context,
        payload: {
          severity: 'critical',
          kind: 'chain_verification_failed',
          detail,
          verification_seq: recorded.seq,
        },
      },
      { stream: COMPLIANCE_STREAM, idempotencyKey: raise.idempotencyKey },
    );
    alert = { stream: a.stream, seq: a.seq };
  }
  observeVerification(deps.ledger.metrics, result.ok);
  return { recorded: { stream: recorded.stream, seq: recorded.seq }, alert };
}
