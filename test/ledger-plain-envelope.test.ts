import { describe, expect, it } from 'vitest';
import { AuditEnvelopeInputSchema } from '../core/audit-event';
import { plainEnvelope } from '../ledger/plain-envelope';
import { benchEvent } from '../bench/fixtures/events';

/**
 * The append path's plain-envelope check must give exactly what the schema gives, or step aside
 * (null) so the schema decides: it never accepts what the schema refuses or changes.
 */
const base: Record<string, unknown> = (() => {
  const { payload: _payload, ...envelope } = benchEvent(7);
  return { ...envelope, subject_id: 'subj-7', case_id: null, schema_version: 1 };
})();

const long = (n: number) => 'x'.repeat(n);
const values: unknown[] = [
  undefined,
  null,
  '',
  ' ',
  'ok',
  ' padded',
  'padded ',
  long(100),
  long(101),
  long(120),
  long(121),
  long(200),
  long(201),
  long(300),
  long(301),
  0,
  1,
  -1,
  1.5,
  2 ** 53,
  true,
  [],
  {},
  'loan.decision_made',
  'Loan.Decision',
  'a..b',
  'user',
  'workflow',
  'robot',
  'success',
  'denied',
  'failed',
  '8d3c5e0a-1b2c-4d5e-8f90-123456789abc',
  '8D3C5E0A-1B2C-4D5E-8F90-123456789ABC',
  '8d3c5e0a-1b2c-9d5e-8f90-123456789abc',
  '8d3c5e0a-1b2c-4d5e-cf90-123456789abc',
  '00000000-0000-0000-0000-000000000000',
  { type: 'user', id: 'u-1' },
  { type: 'user', id: 'u-1', extra: 1 },
  { type: 'robot', id: 'u-1' },
  { type: 'svc', id: ' u' },
  { workflow_id: 'wf', attempt: 2 },
  { attempt: 0 },
  { attempt: 1.5 },
  { run_id: long(101) },
  { request: { source: 'cli' } },
  { unknown: 'x' },
  Object.assign(Object.create(null) as object, { type: 'user', id: 'u' }),
];

function agrees(input: Record<string, unknown>): void {
  const fast = plainEnvelope(input);
  if (fast === null) return;
  const schema = AuditEnvelopeInputSchema.safeParse(input);
  expect(schema.success, JSON.stringify(input)).toBe(true);
  expect(fast).toEqual(schema.data);
}

describe('plainEnvelope', () => {
  it('takes the common events itself, with the schema result', () => {
    for (let i = 0; i < 50; i++) {
      const { payload: _payload, ...envelope } = benchEvent(i);
      expect(plainEnvelope(envelope)).not.toBeNull();
      agrees(envelope);
    }
    expect(plainEnvelope(base)).toEqual(AuditEnvelopeInputSchema.parse(base));
  });

  it('every field set to every probe value: the same result as the schema, or null', () => {
    for (const field of [...Object.keys(base), 'unknown_field']) {
      for (const v of values) agrees({ ...base, [field]: v });
      const { [field]: _gone, ...without } = base;
      agrees(without);
    }
    for (const field of ['type', 'id'])
      for (const v of values) {
        agrees({ ...base, actor: { ...(base.actor as object), [field]: v } });
        agrees({ ...base, resource: { ...(base.resource as object), [field]: v } });
      }
    for (const field of ['workflow_id', 'run_id', 'step', 'attempt', 'initiated_by'])
      for (const v of values) agrees({ ...base, context: { ...(base.context as object), [field]: v } });
  });

  it("takes an activity's context with its request source, with the schema result", () => {
    const context = {
      workflow_id: 'loan-1',
      run_id: 'r-1',
      workflow_type: 'loanOrigination',
      activity_id: '3',
      activity_type: 'recordLoanReceived',
      step: 'loan.received',
      attempt: 1,
      initiated_by: 'op-1',
      request: { source: 'worker' },
    };
    expect(plainEnvelope({ ...base, context })).not.toBeNull();
    agrees({ ...base, context });
    const full = { source: 'cli', request_id: 'req-1', ip: '10.0.0.1', user_agent: 'ledgerflow-cli' };
    expect(plainEnvelope({ ...base, context: { request: full } })).not.toBeNull();
    agrees({ ...base, context: { request: full } });
  });

  it('every request member set to every probe value: the same result as the schema, or null', () => {
    const request: Record<string, unknown> = {
      source: 'api',
      request_id: 'req-1',
      ip: '10.0.0.1',
      user_agent: 'curl',
    };
    for (const field of [...Object.keys(request), 'unknown_field']) {
      for (const v of values) agrees({ ...base, context: { request: { ...request, [field]: v } } });
      const { [field]: _gone, ...without } = request;
      agrees({ ...base, context: { request: without } });
    }
    for (const v of values) agrees({ ...base, context: { request: v } });
    for (const source of ['cli', 'api', 'worker', 'schedule', 'script', 'robot', 'Worker', ''])
      agrees({ ...base, context: { request: { source } } });
  });

  it('steps aside for what the schema refuses or rewrites', () => {
    for (const bad of [
      { ...base, action: ' padded' },
      { ...base, event_type: 'Bad' },
      { ...base, actor: { type: 'robot', id: 'x' } },
      { ...base, context: { attempt: 0 } },
      { ...base, schema_version: 2 },
      { ...base, extra: 1 },
      { ...base, subject_id: undefined },
      { ...base, context: { request: { source: 'worker', ip: ' 10.0.0.1' } } },
      { ...base, context: { request: { source: 'worker', request_id: undefined } } },
      { ...base, context: { request: { source: 'robot' } } },
    ])
      expect(plainEnvelope(bad)).toBeNull();
  });
});
