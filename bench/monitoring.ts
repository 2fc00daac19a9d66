/**
 * Transaction monitoring: `npm run bench -- monitoring [--size N]` (N accounts, default 1000).
 *
 * Generates synthetic traffic (bench/monitoring-data.ts: background, near-miss clean accounts,
 * planted patterns with randomised parameters), ingests it with `tx ingest`'s code path and
 * reports: recall of planted patterns (an alert on the account in which the planted rule is
 * breached), the share of clean accounts with any alert, and throughput next to a bare ingest
 * (same parsing, each transaction inserted idempotently, no rules) in the same run.
 */
import { performance } from 'node:perf_hooks';
import { createDatabase } from '../db/client';
import { appRoleUrl } from '../db/roles';
import { createLedger } from '../ledger/ledger';
import { loadConfig } from '../runtime/config';
import { ingestText, listAlerts, parseJsonl } from '../services/monitoring';
import { generate, PATTERNS } from './monitoring-data';
import { fmt, rate, withBenchDatabase } from './postgres';

const DEFAULT_ACCOUNTS = 1000;
const SMOKE_ACCOUNTS = 80;
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

export async function run(opts: { size?: number; smoke?: boolean } = {}): Promise<void> {
  await measure(opts);
}

/** Runs the suite and returns the figures (also printed). */
export async function measure(
  opts: { size?: number; smoke?: boolean } = {},
): Promise<Record<string, unknown>> {
  const accountsN = opts.size ?? (opts.smoke ? SMOKE_ACCOUNTS : DEFAULT_ACCOUNTS);
  const config = loadConfig();
  const { txs, accounts } = generate({
    accounts: accountsN,
    days: 60,
    seed: 20260302,
    end: Date.parse('2026-03-01T00:00:00Z'),
  });
  const text = txs.map((t) => JSON.stringify(t)).join('\n') + '\n';
  console.log(`${fmt(accountsN)} accounts, ${fmt(txs.length)} transactions over 60 days`);
  return withBenchDatabase(async (ownerUrl) => {
    const db = createDatabase(appRoleUrl(config, ownerUrl, 'ledgerflow_writer'), { max: 4 });
    const owner = createDatabase(ownerUrl, { max: 1 });
    try {
      await owner.$client.query(
        `CREATE TABLE bench_bare_transactions (LIKE monitoring_transactions INCLUDING ALL);
         GRANT SELECT, INSERT ON bench_bare_transactions TO ledgerflow_writer`,
      );
      // Bare ingest: the same parsing, then an idempotent insert per chunk, no rules.
      let t0 = performance.now();
      const parsed = parseJsonl(text);
      for (let i = 0; i < parsed.items.length; i += 5000) {
        const chunk = parsed.items.slice(i, i + 5000);
        await db.$client.query(
          `INSERT INTO bench_bare_transactions (transaction_id, account_id, counterparty_id, channel, occurred_at, content_hash, data, status)
           SELECT *, 'evaluated' FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::jsonb[])
           ON CONFLICT (transaction_id) DO NOTHING`,
          [
            chunk.map((c) => c.tx.transaction_id),
            chunk.map((c) => c.tx.account_id),
            chunk.map((c) => c.tx.counterparty_id),
            chunk.map((c) => c.tx.channel),
            chunk.map((c) => c.tx.occurred_at),
            chunk.map((c) => c.hash),
            chunk.map((c) => JSON.stringify(c.tx)),
          ],
        );
      }
      const bareMs = performance.now() - t0;

      t0 = performance.now();
      const summary = await ingestText(
        { db, ledger: createLedger(db) },
        { actor: { type: 'service', id: 'bench' } },
        text,
        'bench.jsonl',
      );
      const ingestMs = performance.now() - t0;
      if (summary.rejected || summary.evaluated !== txs.length)
        throw new Error(
          `bench data not fully evaluated: ${JSON.stringify({ ...summary, alert_ids: undefined })}`,
        );

      const { alerts } = await listAlerts(db, {});
      const fired = new Map<string, Set<string>>();
      for (const a of alerts) {
        const s = fired.get(a.account_id) ?? new Set<string>();
        for (const r of a.rules) if (r.result) s.add(r.rule_id);
        fired.set(a.account_id, s);
      }
      const planted = accounts.filter((a) => a.kind === 'planted');
      const clean = accounts.filter((a) => a.kind !== 'planted');
      const nearMiss = accounts.filter((a) => a.kind === 'near_miss');
      const found = planted.filter((a) => fired.get(a.id)?.has(a.pattern as string));
      const falseAlerts = clean.filter((a) => fired.has(a.id));
      const recall = found.length / Math.max(1, planted.length);
      const fpShare = falseAlerts.length / Math.max(1, clean.length);
      const ingestRate = rate(txs.length, ingestMs);
      const bareRate = rate(txs.length, bareMs);
      console.log(`planted patterns: ${planted.length}; recall ${pct(recall)} (target 100%)`);
      for (const p of PATTERNS) {
        const of = planted.filter((a) => a.pattern === p);
        console.log(`  ${p}: ${of.filter((a) => found.includes(a)).length}/${of.length}`);
      }
      console.log(
        `clean accounts with an alert: ${falseAlerts.length}/${clean.length} = ${pct(fpShare)} (target < 1%); near-miss accounts: ${nearMiss.length}, alerted: ${nearMiss.filter((a) => fired.has(a.id)).length}`,
      );
      for (const a of falseAlerts.slice(0, 5))
        console.log(
          `  false alert: ${a.id} (${a.pattern ?? 'background'}): ${[...(fired.get(a.id) ?? [])].join(', ')}`,
        );
      console.log(
        `tx ingest: ${fmt(ingestRate)} tx/s (${fmt(Math.round(ingestMs))} ms, ${summary.alerts} alerts in the ledger); bare ingest: ${fmt(bareRate)} tx/s (${fmt(Math.round(bareMs))} ms); ratio ${(ingestRate / bareRate).toFixed(2)}x (target >= 0.5x)`,
      );
      return {
        accounts: accountsN,
        transactions: txs.length,
        recall,
        cleanFalseAlertShare: fpShare,
        ingestRate,
        bareRate,
        ratio: ingestRate / bareRate,
        alerts: summary.alerts,
      };
    } finally {
      await db.$client.end();
      await owner.$client.end();
    }
  });
}
