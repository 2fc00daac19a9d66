import type { Client } from '@temporalio/client';
import type { ControlDefinition, Evaluation } from '../../core/posture/types';
import type { PostureSettings } from '../../core/posture/settings';
import type { JsonValue } from '../../core/json-value';
import type { Signer } from '../../core/signing';
import type { Database } from '../../db/client';
import type { WitnessStore } from '../witness/store';

/** What a probe may look at: the live database, Temporal, the signing key, the clock. */
export interface ProbeContext {
  db: Database;
  settings: PostureSettings;
  /** The evaluation time (ISO). */
  now: string;
  /** The Temporal client (schedule probes); absent: those controls report an error. */
  temporal?: Client;
  /** The ledger's signer (its key id) and the key file whose age is checked. */
  signer?: Pick<Signer, 'keyId'>;
  signingKeyFile?: string;
  /** The external witness (LEDGERFLOW_WITNESS_DIR); absent: the witness control fails. */
  witness?: WitnessStore;
}

/**
 * One posture control: its definition (data), a probe of the live system that returns what it
 * observed with the query it ran, and the pure evaluation of that observation.
 */
export interface PostureControl<O extends JsonValue = JsonValue> {
  definition: ControlDefinition;
  probe(ctx: ProbeContext): Promise<{ probe: string; observed: O }>;
  evaluate(observed: O, ctx: Pick<ProbeContext, 'settings' | 'now'>): Evaluation;
}

/** Declares a control with its observation type checked (the list holds them type-erased). */
export function defineControl<O extends JsonValue>(c: PostureControl<O>): PostureControl {
  return c as unknown as PostureControl;
}
