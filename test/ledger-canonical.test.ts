import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { CommittedEvent } from '../core/audit-event';
import { canonicalJson } from '../core/canonical-json';
import { canonicalEnvelope } from '../core/hash-chain';
import { fastCanonicalEnvelope, fastCanonicalJson } from '../ledger/canonical';

const tricky: unknown[] = [
  0,
  -0,
  1e21,
  1e-7,
  123.456,
  -1.5e-300,
  9007199254740991,
  'plain',
  'quote " backslash \\ tab \t newline \n',
  '\u0001\u001f\u007f\u2028\u2029',
  'emoji 😀 and ü and 中文',
  true,
  false,
  null,
  [],
  {},
  [1, [2, [3, { b: 1, a: 2 }]]],
  { '\u20ac': 1, '\r': 2, '1': 3, a: 4, A: 5, é: 6, '😀': 7, '\ufb33': 8 },
  { z: { y: { x: [null, true, 'x'] } }, nested: [{ k2: 1, k1: 2 }] },
];

describe('fast canonical JSON', () => {
  it('produces the same bytes as the RFC 8785 library', () => {
    for (const v of tricky) expect(fastCanonicalJson(v)).toBe(canonicalJson(v));
    expect(fastCanonicalJson({ a: tricky })).toBe(canonicalJson({ a: tricky }));
    expect(() => fastCanonicalJson(Number.NaN)).toThrow();
  });

  it('writes the same envelope bytes as core/hash-chain for many events', () => {
    for (let i = 0; i < 500; i++) {
      const e: CommittedEvent = {
        stream: i % 2 ? 'default' : 'loan.decisions',
        seq: i + 1,
        event_id: randomUUID(),
        event_type: 'loan.decision_made',
        actor: { type: 'workflow', id: `w-${i}-"\u00e9` },
        occurred_at: '2026-11-23T10:00:00.123456Z',
        resource: { type: 'loan', id: `r\n${i}` },
        action: 'decide',
        outcome: i % 3 ? 'success' : 'denied',
        subject_id: i % 4 ? `s-${i}` : null,
        case_id: i % 5 ? null : `c-${i}`,
        context:
          i % 2 ? {} : { workflow_id: `wf-${i}`, attempt: i, request: { source: 'cli', request_id: `${i}` } },
        schema_version: 1,
        idempotency_key: `k-${i}-😀`,
      };
      expect(fastCanonicalEnvelope(e)).toBe(canonicalEnvelope(e));
    }
  });
});
