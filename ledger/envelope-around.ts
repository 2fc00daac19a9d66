import type { CommittedEvent } from '../core/audit-event';
import { canonicalEnvelope } from '../core/hash-chain';

// Any value of the occurred_at form: the envelope is cut around it and the clock reading goes in later.
const MARK = '0000-00-00T00:00:00.000000Z';
const MARKED = `"occurred_at":"${MARK}"`;

/**
 * The canonical envelope before and after its occurred_at value (the envelope holds no seq, so
 * this is all of it but the clock reading). Members after occurred_at (outcome, resource,
 * schema_version, stream, subject_id) hold no objects with free keys, and a quote inside any
 * string is escaped, so the last marked member is the envelope's own.
 */
export function envelopeAround(committed: Omit<CommittedEvent, 'seq' | 'occurred_at'>): [string, string] {
  const env = canonicalEnvelope({ ...committed, seq: 0, occurred_at: MARK });
  const at = env.lastIndexOf(MARKED);
  if (at < 0) throw new Error('canonical envelope without its occurred_at member');
  const cut = at + MARKED.length - MARK.length - 1;
  return [env.slice(0, cut), env.slice(cut + MARK.length)];
}
