import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countryDistanceKm } from '../core/monitoring/centroids';
import type { MonitoringDeps } from '../services/monitoring';
import { createTestDatabase, type TestDatabase } from './helpers';
import { DAY, HOUR, deps, ingestAndAlerts, tx } from './monitoring-helpers';

let t: TestDatabase;
let d: MonitoringDeps;
beforeAll(async () => {
  t = await createTestDatabase();
  d = deps(t);
});
afterAll(() => t?.drop());

const cash = (a: string, at: number, amount: string) =>
  tx(a, at, { channel: 'cash', direction: 'credit', amount, counterparty_id: 'branch' });

describe('structuring: >= 3 cash credits at 80-99% of 10,000 within 48 h', () => {
  it('at the threshold: 3 credits at exactly 8,000 and 9,900, the third 48 h after the first', async () => {
    const r = await ingestAndAlerts(d, 'st-at', [
      cash('st-at', 0, '8000.00'),
      cash('st-at', 20 * HOUR, '9900'),
      cash('st-at', 48 * HOUR, '8500'),
    ]);
    expect(r.typologies).toEqual(['structuring']);
    const rule = r.alerts[0]!.rules.find((x) => x.rule_id === 'structuring')!;
    expect(rule).toMatchObject({ version: 1, value: 3, threshold: 3, result: true });
    expect(rule.params).toMatchObject({ reportingThreshold: 10000, minCount: 3, windowHours: 48 });
    expect(r.alerts[0]!.transaction_ids).toHaveLength(3);
  });
  it('just under: 2 credits; or one at 7,999.99; or the third 1 ms after 48 h', async () => {
    for (const [a, txs] of [
      ['st-u1', [cash('st-u1', 0, '9000'), cash('st-u1', HOUR, '9000')]],
      ['st-u2', [cash('st-u2', 0, '9000'), cash('st-u2', HOUR, '9000'), cash('st-u2', 2 * HOUR, '7999.99')]],
      [
        'st-u3',
        [cash('st-u3', 0, '9000'), cash('st-u3', HOUR, '9000'), cash('st-u3', 48 * HOUR + 1, '9000')],
      ],
      ['st-u4', [cash('st-u4', 0, '9000'), cash('st-u4', HOUR, '9000'), cash('st-u4', 2 * HOUR, '9900.01')]],
    ] as const)
      expect((await ingestAndAlerts(d, a, [...txs])).typologies, a).toEqual([]);
  });
  it('just over: 4 credits', async () => {
    const a = 'st-o';
    const r = await ingestAndAlerts(
      d,
      a,
      [0, 1, 2, 3].map((i) => cash(a, i * HOUR, '9500')),
    );
    expect(r.typologies).toEqual(['structuring']);
  });
});

describe('velocity: >= 15 debits within 1 h and >= 10x the hourly baseline', () => {
  const burst = (a: string, k: number, start = 0) =>
    Array.from({ length: k }, (_, i) => tx(a, start + i * 60_000, { counterparty_id: 'm' }));
  it('at the threshold (15, no baseline) alerts; just under (14) does not; over (16) alerts', async () => {
    expect((await ingestAndAlerts(d, 've-at', burst('ve-at', 15))).typologies).toEqual(['mule_activity']);
    expect((await ingestAndAlerts(d, 've-u', burst('ve-u', 14))).typologies).toEqual([]);
    const over = await ingestAndAlerts(d, 've-o', burst('ve-o', 16));
    expect(over.typologies).toEqual(['mule_activity']);
    expect(over.alerts[0]!.rules.find((x) => x.rule_id === 'velocity')).toMatchObject({
      value: { debits: 15, baseline_per_hour: 0 },
      threshold: { debits: 15 },
      result: true,
    });
  });
  it('a busy account (baseline 2 per active hour) needs 20 debits in an hour', async () => {
    for (const [a, k, expected] of [
      ['ve-b19', 19, []],
      ['ve-b20', 20, ['mule_activity']],
    ] as const) {
      const history = Array.from({ length: 20 }, (_, h) => [
        tx(a, -(h + 2) * DAY, { counterparty_id: 'm' }),
        tx(a, -(h + 2) * DAY + 60_000, { counterparty_id: 'm' }),
      ]).flat();
      const r = await ingestAndAlerts(d, a, [...history, ...burst(a, k)]);
      expect(r.typologies, a).toEqual(expected);
    }
  });
});

describe('impossible travel: > 900 km/h between card-present transactions', () => {
  const km = countryDistanceKm('FR', 'US')!;
  const pair = (a: string, speed: number) => [
    tx(a, 0, { country: 'FR' }),
    tx(a, Math.round((km / speed) * HOUR), { country: 'US' }),
  ];
  it('at 900 km/h no alert, at 901 an alert, at 899 none', async () => {
    expect((await ingestAndAlerts(d, 'it-at', pair('it-at', 900))).typologies).toEqual([]);
    expect((await ingestAndAlerts(d, 'it-u', pair('it-u', 899))).typologies).toEqual([]);
    const r = await ingestAndAlerts(d, 'it-o', pair('it-o', 901));
    expect(r.typologies).toEqual(['account_takeover']);
    const rule = r.alerts[0]!.rules.find((x) => x.rule_id === 'impossible_travel')!;
    expect(rule.threshold).toBe(900);
    expect(rule.value as number).toBeGreaterThan(900);
  });
  it('transfers are not card-present', async () => {
    const a = 'it-tr';
    const r = await ingestAndAlerts(d, a, [
      tx(a, 0, { country: 'FR', channel: 'transfer' }),
      tx(a, HOUR, { country: 'US', channel: 'transfer' }),
    ]);
    expect(r.typologies).toEqual([]);
  });
});

describe('geo-fencing and amount bands', () => {
  it('a transaction in or from a high-risk country alerts; with >= 10,000 it blocks; 9,999.99 does not', async () => {
    expect((await ingestAndAlerts(d, 'hr-1', [tx('hr-1', 0, { country: 'IR' })])).alerts[0]).toMatchObject({
      typology: 'high_risk_geography',
      decision: 'alert',
      score: 100,
    });
    expect(
      (await ingestAndAlerts(d, 'hr-2', [tx('hr-2', 0, { ip_country: 'KP', amount: '10000' })])).alerts[0],
    ).toMatchObject({ typology: 'high_risk_geography', decision: 'block', score: 150 });
    expect(
      (await ingestAndAlerts(d, 'hr-3', [tx('hr-3', 0, { country: 'MM', amount: '9999.99' })])).alerts[0],
    ).toMatchObject({ decision: 'alert', score: 100 });
  });
  it('a large amount alone never alerts', async () => {
    expect((await ingestAndAlerts(d, 'la-1', [tx('la-1', 0, { amount: '250000' })])).typologies).toEqual([]);
  });
});

describe('round-amount burst: >= 5 transfers of exact thousands within 24 h', () => {
  const tr = (a: string, at: number, amount: string, i: number) =>
    tx(a, at, { channel: 'transfer', amount, counterparty_id: `known-${i % 2}` });
  it('5 alerts (the 5th 24 h after the first), 4 does not, 1,000.50 is not round', async () => {
    const a = 'ra-at';
    const at = [0, 1, 2, 3].map((i) => tr(a, i * HOUR, `${i + 1}000.00`, i));
    expect((await ingestAndAlerts(d, a, [...at, tr(a, 24 * HOUR, '7000', 0)])).typologies).toEqual([
      'mule_activity',
    ]);
    const b = 'ra-u';
    expect(
      (
        await ingestAndAlerts(d, b, [
          ...[0, 1, 2, 3].map((i) => tr(b, i * HOUR, '2000', i)),
          tr(b, 5 * HOUR, '1000.50', 0),
        ])
      ).typologies,
    ).toEqual([]);
    const c = 'ra-late';
    expect(
      (
        await ingestAndAlerts(d, c, [
          ...[0, 1, 2, 3].map((i) => tr(c, i * HOUR, '2000', i)),
          tr(c, 24 * HOUR + 1, '3000', 0),
        ])
      ).typologies,
    ).toEqual([]);
  });
});

describe('new-counterparty burst: >= 8 transfers to never-seen payees within 24 h', () => {
  const pay = (a: string, at: number, payee: string) =>
    tx(a, at, { channel: 'transfer', amount: '120.00', counterparty_id: payee });
  it('8 new payees alert, 7 do not, a payee seen a week ago is not new, card merchants are not payees', async () => {
    const a = 'nc-at';
    const r = await ingestAndAlerts(
      d,
      a,
      Array.from({ length: 8 }, (_, i) => pay(a, i * HOUR, `p${i}`)),
    );
    expect(r.typologies).toEqual(['mule_activity']);
    expect(r.alerts[0]!.rules.find((x) => x.rule_id === 'new_counterparty_burst')).toMatchObject({
      value: 8,
      threshold: 8,
      result: true,
    });
    const b = 'nc-u';
    expect(
      (
        await ingestAndAlerts(
          d,
          b,
          Array.from({ length: 7 }, (_, i) => pay(b, i * HOUR, `p${i}`)),
        )
      ).typologies,
    ).toEqual([]);
    const c = 'nc-seen';
    const seen = tx(c, -7 * DAY, { channel: 'transfer', direction: 'credit', counterparty_id: 'p0' });
    const cards = Array.from({ length: 5 }, (_, i) =>
      tx(c, i * 60_000, { counterparty_id: `merchant-${i}` }),
    );
    expect(
      (
        await ingestAndAlerts(d, c, [
          seen,
          ...cards,
          ...Array.from({ length: 8 }, (_, i) => pay(c, i * HOUR, `p${i}`)),
        ])
      ).typologies,
    ).toEqual([]);
  });
});

describe('dormant reactivation: >= 5 days idle, then a debit > 20x the median', () => {
  const history = (a: string) =>
    Array.from({ length: 9 }, (_, i) => tx(a, -(20 - i) * DAY, { amount: '50.00' }));
  const lastAt = -12 * DAY;
  it('1,000.01 after 5 days alerts; exactly 20x does not; after 4.99 days does not', async () => {
    const a = 'dr-o';
    const r = await ingestAndAlerts(d, a, [...history(a), tx(a, lastAt + 5 * DAY, { amount: '1000.01' })]);
    expect(r.typologies).toEqual(['account_takeover']);
    expect(r.alerts[0]!.rules.find((x) => x.rule_id === 'dormant_reactivation')).toMatchObject({
      value: { idle_days: 5, median: 50 },
      threshold: { idle_days: 5, amount_over_median: 20 },
      result: true,
    });
    const b = 'dr-at';
    expect(
      (await ingestAndAlerts(d, b, [...history(b), tx(b, lastAt + 5 * DAY, { amount: '1000' })])).typologies,
    ).toEqual([]);
    const c = 'dr-u';
    expect(
      (await ingestAndAlerts(d, c, [...history(c), tx(c, lastAt + 5 * DAY - 864_000, { amount: '5000' })]))
        .typologies,
    ).toEqual([]);
  });
});
