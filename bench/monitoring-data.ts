/**
 * Synthetic transactions for the monitoring benchmark: background traffic for every account,
 * near-miss clean accounts (a big annual purchase, a long-haul flight, a payday spike, ...) and
 * accounts with one planted pattern. Parameters are drawn from domain-plausible ranges with a
 * seeded PRNG; nothing here reads the rules' thresholds.
 */
import type { Transaction } from '../core/monitoring/transaction';

/** Seeded PRNG (mulberry32), so a run is reproducible. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    between: (lo: number, hi: number) => lo + (hi - lo) * next(),
    int: (lo: number, hi: number) => Math.floor(lo + (hi - lo + 1) * next()),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T,
  };
}

export const PATTERNS = [
  'structuring',
  'velocity',
  'impossible_travel',
  'new_counterparty_burst',
  'dormant_reactivation',
  'round_amount_burst',
  'high_risk_country',
] as const;
export type Pattern = (typeof PATTERNS)[number];
export const NEAR_MISSES = [
  'big_annual_purchase',
  'long_haul_flight',
  'payday_spike',
  'cash_deposits_spread',
  'few_new_payees',
  'some_round_transfers',
  'quiet_then_moderate',
] as const;

export interface Account {
  id: string;
  kind: 'clean' | 'near_miss' | 'planted';
  pattern?: Pattern | (typeof NEAR_MISSES)[number];
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const HOME = ['FR', 'DE', 'NL', 'ES', 'IT', 'BE', 'GB', 'US', 'PL', 'SE'];
// Far destinations with typical scheduled flight times (hours), from Europe and from the US.
const FAR_FROM_EUROPE = [
  ['US', 9],
  ['JP', 13],
  ['BR', 12],
  ['AU', 22],
  ['SG', 13],
  ['ZA', 11],
] as const;
const FAR_FROM_US = [
  ['JP', 13],
  ['BR', 10],
  ['FR', 8],
  ['AU', 17],
] as const;
const farFrom = (home: string): ReadonlyArray<readonly [string, number]> =>
  home === 'US' ? FAR_FROM_US : FAR_FROM_EUROPE;

const money = (x: number) => Math.max(0.5, x).toFixed(2);

/** Generates `accounts` accounts over `days` days ending at `end`; returns transactions in event-time order. */
export function generate(opts: { accounts: number; days: number; seed: number; end: number }) {
  const r = prng(opts.seed);
  const start = opts.end - opts.days * DAY;
  const txs: Transaction[] = [];
  const accounts: Account[] = [];
  let n = 0;
  for (let i = 0; i < opts.accounts; i++) {
    const roll = r.next();
    const acc: Account =
      roll < 0.08
        ? { id: `acc-${i}`, kind: 'planted', pattern: PATTERNS[i % PATTERNS.length] }
        : roll < 0.3
          ? { id: `acc-${i}`, kind: 'near_miss', pattern: r.pick(NEAR_MISSES) }
          : { id: `acc-${i}`, kind: 'clean' };
    accounts.push(acc);
    const home = r.pick(HOME);
    const median = Math.exp(r.between(Math.log(15), Math.log(90)));
    const payees = Array.from({ length: r.int(2, 6) }, (_, k) => `${acc.id}-payee-${k}`);
    const push = (at: number, t: Partial<Transaction>) =>
      txs.push({
        transaction_id: `tx-${++n}`,
        occurred_at: new Date(Math.round(at)).toISOString(),
        account_id: acc.id,
        counterparty_id: `merchant-${r.int(1, 400)}`,
        amount: money(median * Math.exp(r.between(-0.8, 0.8))),
        currency: 'EUR',
        direction: 'debit',
        channel: 'card',
        country: home,
        ...t,
      });
    // Background: daily card spending, monthly salary and rent, bills to known payees, some cash.
    const perDay = r.between(0.6, 4);
    // The dormant stories need a quiet stretch before the event at ~80% of the period.
    const eventAt = start + opts.days * DAY * r.between(0.75, 0.85);
    const quiet =
      acc.pattern === 'dormant_reactivation' || acc.pattern === 'quiet_then_moderate'
        ? r.between(6, 25) * DAY
        : 0;
    // A traveller's home spending pauses for the trip (spending abroad is generated below).
    const stay = acc.pattern === 'long_haul_flight' ? r.between(4, 14) * DAY : 0;
    for (let day = 0; day < opts.days; day++) {
      const d0 = start + day * DAY;
      if (quiet && d0 > eventAt - quiet - DAY && d0 < eventAt + DAY) continue;
      if (stay && d0 > eventAt - DAY && d0 < eventAt + stay + 2 * DAY) continue;
      const k = Math.floor(perDay + r.next() * 2 - 0.5);
      for (let j = 0; j < k; j++) push(d0 + r.between(7, 22) * HOUR, {});
      if (day % 30 === 25)
        push(d0 + 9 * HOUR, {
          direction: 'credit',
          channel: 'transfer',
          counterparty_id: `${acc.id}-employer`,
          amount: money(r.between(1800, 4200)),
        });
      if (day % 30 === 1)
        push(d0 + 10 * HOUR, {
          channel: 'transfer',
          counterparty_id: payees[0],
          amount: money(r.between(500, 1600)),
        });
      if (r.next() < 0.08)
        push(d0 + r.between(8, 20) * HOUR, {
          channel: 'transfer',
          counterparty_id: r.pick(payees),
          amount: money(r.between(20, 300)),
        });
      if (r.next() < 0.05)
        push(d0 + r.between(8, 20) * HOUR, { channel: 'cash', amount: money(r.between(20, 200)) });
      if (r.next() < 0.01)
        push(d0 + r.between(8, 20) * HOUR, {
          channel: 'transfer',
          counterparty_id: `${acc.id}-new-${day}`,
          amount: money(r.between(20, 400)),
        });
    }
    const at = eventAt;
    switch (acc.pattern) {
      case 'structuring': {
        const span = r.between(6, 40) * HOUR;
        const k = r.int(3, 6);
        for (let j = 0; j < k; j++)
          push(at + (span * j) / (k - 1), {
            direction: 'credit',
            channel: 'cash',
            counterparty_id: 'branch',
            amount: money(r.between(8200, 9800)),
          });
        break;
      }
      case 'velocity': {
        const k = r.int(18, 40);
        const span = r.between(10, 55) * 60_000;
        for (let j = 0; j < k; j++) push(at + (span * j) / k, { amount: money(r.between(1, 30)) });
        break;
      }
      case 'impossible_travel': {
        const [far] = r.pick(farFrom(home));
        push(at, {});
        push(at + r.between(0.5, 3) * HOUR, { country: far });
        break;
      }
      case 'new_counterparty_burst': {
        const k = r.int(9, 15);
        const span = r.between(2, 20) * HOUR;
        for (let j = 0; j < k; j++)
          push(at + (span * j) / k, {
            channel: 'transfer',
            counterparty_id: `${acc.id}-mule-${j}`,
            amount: money(r.between(150, 900)),
          });
        break;
      }
      case 'dormant_reactivation':
        push(at, {
          channel: 'transfer',
          counterparty_id: `${acc.id}-x`,
          amount: money(median * r.between(30, 100)),
        });
        break;
      case 'round_amount_burst': {
        const k = r.int(6, 10);
        const span = r.between(3, 20) * HOUR;
        for (let j = 0; j < k; j++)
          push(at + (span * j) / k, {
            channel: 'transfer',
            counterparty_id: r.pick(payees),
            amount: `${r.int(1, 9)}000.00`,
          });
        break;
      }
      case 'high_risk_country':
        push(at, {
          channel: 'transfer',
          ip_country: r.pick(['IR', 'KP', 'MM']),
          counterparty_id: r.pick(payees),
        });
        break;
      case 'big_annual_purchase':
        push(at, { amount: money(median * r.between(25, 80)), merchant_category: '5511' });
        break;
      case 'long_haul_flight': {
        const [far, hours] = r.pick(farFrom(home));
        push(at, {});
        // Last purchase at home, gate, flight, landing: a realistic gap.
        const landed = at + (hours + r.between(2, 5)) * HOUR;
        for (let t = landed; t < at + stay; t += r.between(5, 30) * HOUR) push(t, { country: far });
        push(at + stay + (hours + r.between(2, 5)) * HOUR, {});
        break;
      }
      case 'payday_spike': {
        const k = r.int(5, 11);
        for (let j = 0; j < k; j++) push(at + r.between(0, 55) * 60_000, {});
        break;
      }
      case 'cash_deposits_spread':
        for (let j = 0; j < r.int(2, 3); j++)
          push(at + j * r.between(50, 80) * HOUR, {
            direction: 'credit',
            channel: 'cash',
            counterparty_id: 'branch',
            amount: money(r.between(8200, 9800)),
          });
        break;
      case 'few_new_payees':
        for (let j = 0; j < r.int(3, 6); j++)
          push(at + j * HOUR, {
            channel: 'transfer',
            counterparty_id: `${acc.id}-friend-${j}`,
            amount: money(30),
          });
        break;
      case 'some_round_transfers':
        for (let j = 0; j < r.int(2, 4); j++)
          push(at + j * 2 * HOUR, {
            channel: 'transfer',
            counterparty_id: r.pick(payees),
            amount: `${r.int(1, 3)}000`,
          });
        break;
      case 'quiet_then_moderate':
        push(at, { amount: money(median * r.between(3, 12)) });
        break;
    }
  }
  txs.sort((a, b) => a.occurred_at.localeCompare(b.occurred_at));
  return { txs, accounts };
}
