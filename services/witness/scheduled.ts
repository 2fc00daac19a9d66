import { WITNESS_ALARM_KINDS, witnessConditions, type AlarmChange } from '../../core/posture/alarms';
import { COMPLIANCE_STREAM } from '../../core/retention/types';
import type { PublicKeyInfo } from '../../core/signing';
import { WITNESS_CHECKED_EVENT, type WitnessCheck } from '../../core/witness';
import type { Ledger } from '../../ledger/ledger';
import type { AuditStamp } from '../audit-stamp';
import { planAlarmsOfKinds } from '../posture/alarms';
import { checkWitness } from './check';
import { publishHead, WitnessConflictError } from './publish';
import type { WitnessStore } from './store';

/** What one scheduled witness step did. */
export interface WitnessStepOutcome {
  check: WitnessCheck;
  /** The head version appended to the witness by this step, or null. */
  published: number | null;
  recorded: { stream: string; seq: number };
  /** Witness alarm firings and resolutions to record and deliver. */
  changes: AlarmChange[];
}

/**
 * The scheduled verification's witness step: publishes the signed head when the chain verified
 * (`publish`), else only compares; records the comparison in the ledger
 * (`ledger.witness_checked`, outcome error on a fork, rollback or bad record) and returns the
 * witness alarm changes it implies. A retry publishes nothing twice (the witness then already
 * holds the head) and records once (idempotency key of the step).
 */
export async function runWitnessStep(
  deps: { ledger: Ledger; store: WitnessStore; trustedKeys?: Map<string, PublicKeyInfo> },
  input: { publish: boolean },
  stamp: AuditStamp,
): Promise<WitnessStepOutcome> {
  let check: WitnessCheck;
  let published: number | null = null;
  if (input.publish) {
    try {
      const out = await publishHead(deps);
      check = out.check;
      if (out.published) published = out.head.version;
    } catch (err) {
      if (!(err instanceof WitnessConflictError)) throw err;
      check = err.check;
    }
  } else {
    check = await checkWitness(deps.ledger.db, deps.store, { trustedKeys: deps.trustedKeys });
  }
  const step = stamp.step('witness-check');
  const rec = await deps.ledger.append(
    {
      event_type: WITNESS_CHECKED_EVENT,
      actor: { type: 'workflow', id: stamp.actorId },
      resource: { type: 'witness', id: 'ledger-heads' },
      action: 'compare',
      outcome: check.ok ? 'success' : 'error',
      context: step.context,
      payload: {
        status: check.status,
        detail: check.detail,
        witness: check.witness,
        published_version: published,
        last_published: check.published,
        live: check.live,
        streams: check.streams.map((s) => ({ ...s })),
        problems: check.problems,
        warnings: check.warnings,
      },
    },
    { stream: COMPLIANCE_STREAM, idempotencyKey: step.idempotencyKey },
  );
  const conditions = witnessConditions({ status: check.status, detail: check.detail, seq: rec.seq });
  const changes = await planAlarmsOfKinds(deps.ledger.db, conditions, WITNESS_ALARM_KINDS);
  return { check, published, recorded: { stream: rec.stream, seq: rec.seq }, changes };
}
