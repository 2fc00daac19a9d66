import type { ParsedHead } from '../../core/ledger-head';
import type { PublicKeyInfo } from '../../core/signing';
import type { WitnessCheck } from '../../core/witness';
import type { Ledger } from '../../ledger/ledger';
import { checkWitness } from './check';
import type { WitnessStore } from './store';

/** Publishing was refused: the live head does not extend what the witness holds (or the witness is bad). */
export class WitnessConflictError extends Error {
  readonly code = 'WITNESS_CONFLICT';
  constructor(readonly check: WitnessCheck) {
    super(`not published: ${check.status}: ${check.detail}`);
    this.name = 'WitnessConflictError';
  }
}

export interface PublishOutcome {
  head: ParsedHead;
  /** False when the witness already holds this head. */
  published: boolean;
  /** The comparison made before appending. */
  check: WitnessCheck;
}

/**
 * Signs the ledger head (checkpointing streams that moved) and appends it to the witness, after
 * checking that it extends the last published head: a fork, a rollback or a bad witness record
 * refuses the publication ({@link WitnessConflictError}) and nothing is appended. Publishing the
 * head the witness already holds appends nothing. What the scheduled verification and
 * `ledger checkpoint --publish` call.
 */
export async function publishHead(deps: {
  ledger: Ledger;
  store: WitnessStore;
  trustedKeys?: Map<string, PublicKeyInfo>;
}): Promise<PublishOutcome> {
  const { head } = await deps.ledger.head();
  const check = await checkWitness(deps.ledger.db, deps.store, { trustedKeys: deps.trustedKeys, live: head });
  if (!check.ok) throw new WitnessConflictError(check);
  if (check.published?.version === head.version) return { head, published: false, check };
  await deps.store.append(head.text);
  return { head, published: true, check };
}
