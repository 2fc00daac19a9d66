import type { Transaction } from '../core/monitoring/transaction';
import { createLedger } from '../ledger/ledger';
import { ingestText, listAlerts, type MonitoringDeps } from '../services/monitoring';
import type { TestDatabase } from './helpers';

export const T0 = Date.parse('2026-03-02T09:00:00Z');
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

let n = 0;
/** A valid transaction at `T0 + atMs`; ids are unique per test run. */
export function tx(account: string, atMs: number, over: Partial<Transaction> = {}): Transaction {
  n++;
  return {
    transaction_id: `${account}-t${n}`,
    occurred_at: new Date(T0 + atMs).toISOString(),
    account_id: account,
    counterparty_id: `shop-${n % 3}`,
    amount: '42.00',
    currency: 'EUR',
    direction: 'debit',
    channel: 'card',
    country: 'FR',
    ...over,
  };
}

export const jsonl = (txs: object[]): string => txs.map((t) => JSON.stringify(t)).join('\n') + '\n';

export const actor = { actor: { type: 'user' as const, id: 'monitor-tester' } };

/** The monitoring deps over a test database's writer pool. */
export function deps(t: TestDatabase): MonitoringDeps {
  const db = t.connect();
  return { db, ledger: createLedger(db) };
}

/** Ingests `txs` and returns the live alerts of `account` (typology and fired rules). */
export async function ingestAndAlerts(d: MonitoringDeps, account: string, txs: Transaction[]) {
  const summary = await ingestText(d, actor, jsonl(txs));
  const { alerts } = await listAlerts(d.db, { account });
  return { summary, alerts, typologies: alerts.map((a) => a.typology).sort() };
}
