import { describe, expect, it } from 'vitest';
import { PurgeCoverage, formatRanges, parseRanges, purgeEvents, toRanges } from '../ledger/purge-events';

describe('purge event ranges (docs/ledger-format.md, "Purge events")', () => {
  it('sorts and merges (stream, seq) pairs into ranges per stream', () => {
    const r = toRanges([
      { stream: 'loan', seq: 4 },
      { stream: 'default', seq: 3 },
      { stream: 'default', seq: 1 },
      { stream: 'default', seq: 2 },
      { stream: 'default', seq: 7 },
    ]);
    expect(formatRanges(r)).toEqual(['default:1-3,7-7;loan:4-4']);
  });

  it('splits a large batch into several resource ids of at most 300 characters that cover it exactly', () => {
    const keys = Array.from({ length: 400 }, (_, i) => ({
      stream: i % 2 ? 'alpha' : 'beta',
      seq: 3 * i + 1,
    }));
    const parts = formatRanges(toRanges(keys));
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(300);
    const cov = new PurgeCoverage();
    for (const p of parts) expect(cov.add(p)).toBe(true);
    for (const k of keys) expect(cov.covers(k.stream, k.seq)).toBe(true);
    expect(cov.covers('alpha', 2)).toBe(false);
    expect(cov.covers('gamma', 1)).toBe(false);
    const events = purgeEvents(
      { purgeRunId: 'run-1', dataClass: 'ledger_payloads', batchNo: 3 },
      toRanges(keys),
    );
    expect(new Set(events.map((e) => e.idempotencyKey)).size).toBe(parts.length);
  });

  it('rejects resource ids outside the grammar (they cover nothing)', () => {
    for (const bad of [
      'alpha:2-1',
      'alpha:01-2',
      'alpha:1-2,2-3',
      'alpha:3-4,1-2',
      'beta:1-1;alpha:1-1',
      'alpha:1-1;alpha:2-2',
      'alpha:0-1',
      'alpha:1',
      'Alpha:1-1',
      'alpha:1-99999999999999999',
      `alpha:${Array.from({ length: 80 }, (_, i) => `${2 * i + 1}-${2 * i + 1}`).join(',')}`,
      '',
    ])
      expect(parseRanges(bad), bad).toBeNull();
    const cov = new PurgeCoverage();
    expect(cov.add('alpha:2-1')).toBe(false);
    expect(cov.covers('alpha', 1)).toBe(false);
  });
});
