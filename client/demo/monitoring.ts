import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Transaction } from '../../core/monitoring/transaction';
import { createLedger } from '../../ledger/ledger';
import { ingestFile, listAlerts } from '../../services/monitoring';
import { ensurePrincipal } from '../../services/principals/principals';
import { printAlert } from '../commands/alerts';
import type { DemoScenario } from './types';

const OPERATOR = 'demo-operator';
const START = Date.parse('2026-02-02T08:00:00+01:00');
const HOUR = 3_600_000;

/** A week of ordinary card spending, then three cash deposits just below 10,000 within a day. */
function demoTransactions(): Transaction[] {
  const txs: Transaction[] = [];
  const base = { account_id: 'demo-acc-1', currency: 'EUR', country: 'FR' } as const;
  for (let i = 0; i < 14; i++)
    txs.push({
      ...base,
      transaction_id: `demo-tx-${i + 1}`,
      occurred_at: new Date(START + i * 12 * HOUR).toISOString(),
      counterparty_id: `grocer-${i % 3}`,
      amount: (23.4 + i * 3.1).toFixed(2),
      direction: 'debit',
      channel: 'card',
      merchant_category: '5411',
    });
  ['9400.00', '9850.00', '9100.00'].forEach((amount, i) =>
    txs.push({
      ...base,
      transaction_id: `demo-tx-cash-${i + 1}`,
      occurred_at: new Date(START + 7 * 24 * HOUR + i * 7 * HOUR).toISOString(),
      counterparty_id: 'branch-paris-3',
      amount,
      direction: 'credit',
      channel: 'cash',
    }),
  );
  return txs;
}

/**
 * Transaction monitoring: `tx ingest` of a JSONL file (the CLI's code path), a structuring alert
 * recorded in the ledger, then `alerts show`. Re-running the demo ingests nothing new.
 */
export const monitoringScenario: DemoScenario = {
  name: 'monitoring: ingest transactions, raise a structuring alert into the ledger, show its trace',
  async run({ writer, reader, log }) {
    await ensurePrincipal(writer, OPERATOR, ['operator'], 'Demo Operator');
    const dir = await mkdtemp(path.join(tmpdir(), 'ledgerflow-demo-monitoring-'));
    try {
      const file = path.join(dir, 'transactions.jsonl');
      await writeFile(
        file,
        demoTransactions()
          .map((t) => `${JSON.stringify(t)}\n`)
          .join(''),
      );
      const s = await ingestFile(
        { db: writer, ledger: createLedger(writer) },
        { actor: { type: 'user', id: OPERATOR }, context: { request: { source: 'cli' } } },
        file,
      );
      log(
        `tx ingest: ${s.accepted} new, ${s.duplicates} already ingested, ${s.rejected} rejected; ${s.alerts} new alerts`,
      );
      const { alerts } = await listAlerts(reader, { account: 'demo-acc-1' });
      const alert = alerts[0];
      if (!alert) throw new Error('the demo expected a structuring alert on demo-acc-1');
      printAlert(alert, log);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
