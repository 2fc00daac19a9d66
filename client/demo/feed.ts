import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Transaction } from '../../core/monitoring/transaction';
import { listAlerts } from '../../services/monitoring';
import { connectBroker, ensureFeed, feedNames, publishFile } from '../../services/monitoring/feed';
import {
  assignAlert,
  closeAlert,
  decideAlert,
  investigationState,
} from '../../services/monitoring/investigations';
import { ensurePrincipal } from '../../services/principals/principals';
import { printInvestigation } from '../commands/alert-investigation';
import type { DemoScenario } from './types';

const LEAD = 'demo-compliance-lead';
const ANALYST = 'demo-analyst';
const DAY = Date.parse('2026-02-10T07:00:00Z');
const HOUR = 3_600_000;

/**
 * A day of a small bank: card spending on every account, and planted patterns on a few
 * (structuring cash deposits, a large transfer from a high-risk country, a burst of round
 * transfers to new payees). Ids carry `run` so every demo run is a new day's feed.
 */
export function demoDay(run: string, accounts = 30): Transaction[] {
  const out: Transaction[] = [];
  let n = 0;
  const tx = (account: string, at: number, over: Partial<Transaction>): Transaction => ({
    transaction_id: `${run}-${++n}`,
    occurred_at: new Date(DAY + at).toISOString(),
    account_id: account,
    counterparty_id: `shop-${n % 7}`,
    amount: '38.20',
    currency: 'EUR',
    direction: 'debit',
    channel: 'card',
    country: 'FR',
    ...over,
  });
  for (let i = 0; i < accounts; i++) {
    const a = `${run}-acc-${String(i).padStart(2, '0')}`;
    for (let h = 0; h < 5; h++) out.push(tx(a, (h * 3 + (i % 3)) * HOUR, { amount: `${12 + h * 7 + i}.40` }));
    if (i === 3 || i === 17)
      ['9400.00', '9850.00', '9100.00'].forEach((amount, k) =>
        out.push(
          tx(a, (2 + k * 4) * HOUR, {
            channel: 'cash',
            direction: 'credit',
            amount,
            counterparty_id: 'branch',
          }),
        ),
      );
    if (i === 8) out.push(tx(a, 10 * HOUR, { channel: 'transfer', amount: '15000.00', country: 'IR' }));
    if (i === 22)
      for (let k = 0; k < 5; k++)
        out.push(
          tx(a, (9 + k) * HOUR, {
            channel: 'transfer',
            amount: '3000.00',
            counterparty_id: `new-payee-${k}`,
          }),
        );
  }
  return out.sort((x, y) => x.occurred_at.localeCompare(y.occurred_at));
}

/**
 * The live feed: `tx publish` of a day of transactions to NATS JetStream, the worker's consumer
 * raising alerts (each with its investigation workflow), then one alert investigated: assigned,
 * decided by the analyst, a refused self-close (four eyes) and the close by the lead.
 */
export const feedScenario: DemoScenario = {
  name: 'monitoring feed: publish a day to NATS, alerts from the worker, one alert investigated (four eyes)',
  async run({ config, client, taskQueue, reader, writer, natsUrl, log }) {
    if (!natsUrl) throw new Error('the feed demo needs a NATS broker (embedded or NATS_URL)');
    await ensurePrincipal(writer, LEAD, ['compliance'], 'Demo Compliance Lead');
    await ensurePrincipal(writer, ANALYST, ['reviewer'], 'Demo Analyst');
    const run = `day-${randomBytes(3).toString('hex')}`;
    const txs = demoDay(run);
    const dir = await mkdtemp(path.join(tmpdir(), 'ledgerflow-demo-feed-'));
    const names = feedNames(config.LEDGERFLOW_FEED_STREAM);
    const nc = await connectBroker(natsUrl, 'ledgerflow-demo');
    try {
      const file = path.join(dir, `${run}.jsonl`);
      await writeFile(file, txs.map((t) => `${JSON.stringify(t)}\n`).join(''));
      await ensureFeed(nc, names);
      const started = Date.now();
      const p = await publishFile(nc, names, file);
      log(`tx publish: ${p.published} transactions of 30 accounts to ${names.subject}`);
      const stored = async () =>
        Number(
          (
            await reader.$client.query<{ n: string }>(
              `SELECT count(*) AS n FROM monitoring_transactions WHERE account_id LIKE $1`,
              [`${run}-%`],
            )
          ).rows[0]!.n,
        );
      while ((await stored()) < txs.length) {
        if (Date.now() - started > 60_000) throw new Error('the worker did not consume the feed within 60 s');
        await new Promise((r) => setTimeout(r, 100));
      }
      const alerts = (await listAlerts(reader, {})).alerts.filter((a) => a.account_id.startsWith(`${run}-`));
      log(`the worker consumed them in ${Date.now() - started} ms and raised ${alerts.length} alerts:`);
      for (const a of alerts)
        log(`  ${a.alert_id}  ${a.decision.padEnd(5)}  ${a.typology.padEnd(19)}  ${a.account_id}`);
      const alert = alerts.find((a) => a.typology === 'structuring') ?? alerts[0];
      if (!alert) throw new Error('the feed demo expected alerts');
      const deps = { client, taskQueue, db: writer };
      // The feed opened the investigation right after its commit; wait for the workflow to answer.
      for (let i = 0; ; i++) {
        const ok = await investigationState(deps, alert.alert_id).then(
          () => true,
          () => false,
        );
        if (ok) break;
        if (i > 300) throw new Error('no investigation was opened for the alert');
        await new Promise((r) => setTimeout(r, 100));
      }
      log(`investigating ${alert.alert_id} (${alert.typology} on ${alert.account_id}):`);
      await assignAlert(deps, alert.alert_id, LEAD, ANALYST);
      log(`  alerts assign --to ${ANALYST}   (as ${LEAD})`);
      await decideAlert(
        deps,
        alert.alert_id,
        ANALYST,
        'file_report',
        'three cash deposits just under 10,000 in a day',
      );
      log(`  alerts decide file_report        (as ${ANALYST})`);
      await closeAlert(deps, alert.alert_id, ANALYST).catch((e: Error) =>
        log(`  alerts close (as ${ANALYST}): ${e.message}`),
      );
      const s = await closeAlert(deps, alert.alert_id, LEAD, 'suspicious activity report filed');
      log(`  alerts close                     (as ${LEAD})`);
      printInvestigation(s, log);
    } finally {
      await nc.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
  },
};
