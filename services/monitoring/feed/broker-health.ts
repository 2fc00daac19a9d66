import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { partitionDurable, type FeedNames } from './streams';

/** One `doctor` line about the broker. */
export interface BrokerCheck {
  check: string;
  ok: boolean;
  /** Shown, but doctor still passes. */
  warning?: boolean;
  detail: string;
  fix?: string;
}

const message = (err: unknown) => (err as Error)?.message ?? String(err);

/**
 * Checks the feed's broker: reachable (within `timeoutMs`), JetStream enabled, and the feed's
 * stream present with its partition consumers and dead-letter stream (a warning while missing:
 * the first worker creates them); dead letters waiting are a warning too.
 */
export async function brokerChecks(
  url: string,
  origin: string,
  names: FeedNames,
  timeoutMs = 3_000,
): Promise<BrokerCheck[]> {
  let nc;
  try {
    nc = await connect({ servers: url, timeout: timeoutMs, reconnect: false, name: 'ledgerflow-doctor' });
  } catch (err) {
    return [
      {
        check: 'broker',
        ok: false,
        detail: `${url}: ${message(err)} (${origin})`,
        fix: 'start the broker ("npx ledgerflow dev") or fix NATS_URL',
      },
    ];
  }
  const checks: BrokerCheck[] = [{ check: 'broker', ok: true, detail: `reachable at ${url} (${origin})` }];
  try {
    let jsm;
    try {
      jsm = await jetstreamManager(nc, { timeout: timeoutMs });
      const account = await jsm.getAccountInfo();
      checks.push({ check: 'jetstream', ok: true, detail: `enabled (${account.streams} streams)` });
    } catch (err) {
      checks.push({
        check: 'jetstream',
        ok: false,
        detail: `not available: ${message(err)}`,
        fix: 'start nats-server with JetStream ("-js" and a storage dir "-sd DIR")',
      });
      return checks;
    }
    const stream = await jsm.streams.info(names.stream).catch(() => undefined);
    if (!stream) {
      checks.push({
        check: 'feed stream',
        ok: true,
        warning: true,
        detail: `${names.stream} does not exist yet`,
        fix: 'start a worker ("npx ledgerflow worker"): it creates the stream and its consumers',
      });
      return checks;
    }
    const missing: string[] = [];
    let pending = 0;
    for (let p = 0; p < names.partitions; p++) {
      const c = await jsm.consumers.info(names.stream, partitionDurable(names, p)).catch(() => undefined);
      if (c) pending += c.num_pending + c.num_ack_pending;
      else missing.push(partitionDurable(names, p));
    }
    const dead = await jsm.streams.info(names.deadStream).catch(() => undefined);
    if (!dead) missing.push(names.deadStream);
    checks.push({
      check: 'feed stream',
      ok: missing.length === 0,
      detail: missing.length
        ? `${names.stream} lacks ${missing.join(', ')}`
        : `${names.stream}: ${stream.state.messages} messages, ${pending} not yet processed, ${names.partitions} partitions`,
      fix: missing.length ? 'start a worker: it creates what is missing' : undefined,
    });
    const letters = dead?.state.messages ?? 0;
    if (letters)
      checks.push({
        check: 'dead letters',
        ok: true,
        warning: true,
        detail: `${letters} messages in ${names.deadStream}`,
        fix: 'see "ledgerflow tx dead-letters"; fix and re-publish them',
      });
    return checks;
  } finally {
    await nc.close().catch(() => undefined);
  }
}
