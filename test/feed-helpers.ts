import { randomBytes } from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { inject } from 'vitest';
import type { Transaction } from '../core/monitoring/transaction';
import {
  accountSubject,
  connectBroker,
  ensureFeed,
  feedNames,
  partitionDurable,
  partitionSubject,
  type FeedNames,
  type FeedSettings,
} from '../services/monitoring/feed';
import { HOUR, tx } from './monitoring-helpers';

/** The run's broker (test/global-setup.ts); feed tests never skip without one. */
export function natsUrl(): string {
  const url = inject('natsUrl');
  if (!url)
    throw new Error(
      'no NATS broker for this run: install nats-server (npx tsx scripts/ensure-temporal.ts) or set NATS_URL',
    );
  return url;
}

/** A feed of its own (unique stream) on the run's broker, with a connection. */
export async function createTestFeed(settings: FeedSettings = { ackWaitMs: 2_000, maxDeliveries: 3 }) {
  const names = feedNames(`T_${randomBytes(5).toString('hex').toUpperCase()}`);
  const nc = await connectBroker(natsUrl(), 'ledgerflow-test');
  await ensureFeed(nc, names, settings);
  return { names, nc, settings };
}

/** Messages in a stream, and the partition consumers' unacknowledged and undelivered counts (summed). */
export async function feedState(nc: NatsConnection, names: FeedNames) {
  const jsm = await jetstreamManager(nc);
  const stream = await jsm.streams.info(names.stream);
  const dead = await jsm.streams.info(names.deadStream);
  const out = { messages: stream.state.messages, dead: dead.state.messages, ackPending: 0, pending: 0 };
  for (let p = 0; p < names.partitions; p++) {
    const c = await jsm.consumers.info(names.stream, partitionDurable(names, p));
    out.ackPending += c.num_ack_pending;
    out.pending += c.num_pending;
  }
  return out;
}

/**
 * Publishes raw strings (bypassing `tx publish` validation), as a misbehaving producer would:
 * to the partition of the body's account_id, partition 0 when it has none.
 */
export async function publishRaw(nc: NatsConnection, names: FeedNames, bodies: string[]): Promise<void> {
  const js = jetstream(nc);
  const subject = (b: string) => {
    try {
      const account = (JSON.parse(b) as { account_id?: unknown }).account_id;
      if (typeof account === 'string') return accountSubject(names, account);
    } catch {
      // not JSON: partition 0
    }
    return partitionSubject(names, 0);
  };
  for (const b of bodies) await js.publish(subject(b), b);
}

/**
 * A day of transactions for `accounts` accounts named `<prefix>-<i>`: card spending everywhere,
 * and planted patterns on some accounts (three cash deposits just under 10,000: structuring;
 * a payment from a high-risk country: high_risk_geography; five round transfers to new payees).
 */
export function dayOfTransactions(prefix: string, accounts: number): Transaction[] {
  const out: Transaction[] = [];
  for (let i = 0; i < accounts; i++) {
    const a = `${prefix}-${i}`;
    for (let h = 0; h < 6; h++) out.push(tx(a, h * 2 * HOUR + i * 1000, { amount: `${20 + h}.50` }));
    if (i % 4 === 0)
      for (let k = 0; k < 3; k++)
        out.push(
          tx(a, (3 + k * 3) * HOUR, {
            channel: 'cash',
            direction: 'credit',
            amount: `${9000 + k * 100}.00`,
            counterparty_id: 'branch',
          }),
        );
    if (i % 5 === 1) out.push(tx(a, 7 * HOUR, { amount: '12000.00', country: 'IR', channel: 'transfer' }));
    if (i % 6 === 2)
      for (let k = 0; k < 5; k++)
        out.push(
          tx(a, (8 + k) * HOUR, {
            channel: 'transfer',
            amount: '2000.00',
            counterparty_id: `payee-${i}-${k}`,
          }),
        );
  }
  return out.sort((x, y) => x.occurred_at.localeCompare(y.occurred_at));
}
