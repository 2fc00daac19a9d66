import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../core/canonical-json';
import type { BundleEvent } from '../ledger/bundle';
import { eventLine } from '../ledger/filtered-export';

const base: BundleEvent = {
  stream: 'loan',
  seq: 42,
  event_id: '7c4a8d09-ca37-4c1b-9a8e-6e5f3b1d2a10',
  event_type: 'loan.application_received',
  actor: { type: 'user', id: 'u-"1"\\\n\u2028é' },
  occurred_at: '2026-12-01T22:30:00.123456Z',
  resource: { type: 'loan_application', id: 'app-1' },
  action: 'submit',
  outcome: 'success',
  subject_id: null,
  case_id: 'case-\u0001',
  context: { workflow_id: 'wf-1', request: { source: 'api', request_id: 'r' }, attempt: 2 },
  schema_version: 1,
  idempotency_key: 'k',
  payload_digest: 'ab'.repeat(32),
  prev_hash: '00'.repeat(32),
  hash: 'cd'.repeat(32),
  payload: { name: 'Zoë', nested: { b: 1, a: [null, true, '\ud83d\ude00', 2.5, 1e21] } },
  payload_salt: '01'.repeat(16),
  payload_purged: false,
};

const generic = (event: BundleEvent, proof: string[], treeSize: number) =>
  `${canonicalJson({ event, proof, tree_size: treeSize, type: 'event' })}\n`;

describe('export event lines', () => {
  it('are RFC 8785 canonical JSON, byte for byte, on the fast path and off it', () => {
    const proofs = [[], ['ef'.repeat(32)], ['ef'.repeat(32), '12'.repeat(32), '34'.repeat(32)]];
    const events: BundleEvent[] = [
      base,
      { ...base, payload: null, payload_salt: null, payload_purged: true, subject_id: 's' },
      { ...base, context: {}, payload: {}, case_id: null },
      // Off the fast path: an unexpected member type, an extra member.
      { ...base, seq: 1.5 } as BundleEvent,
      { ...base, extra: 1 } as unknown as BundleEvent,
    ];
    for (const e of events)
      for (const p of proofs)
        for (const n of [1, 256, 9_007_199_254_740_991]) expect(eventLine(e, p, n)).toBe(generic(e, p, n));
  });
});
