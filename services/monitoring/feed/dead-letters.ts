import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { DEAD_LETTER_HEADERS } from './consumer';
import type { FeedNames } from './streams';

/** A dead letter without its body (which holds the transaction's data). */
export interface DeadLetter {
  /** Sequence in the dead-letter stream. */
  seq: number;
  /** Sequence of the original message in the feed stream. */
  feedSeq: number;
  deliveries: number;
  error: string;
  at: string;
}

/** The dead letters in the dead-letter stream, oldest first (at most `limit`). */
export async function listDeadLetters(
  nc: NatsConnection,
  names: FeedNames,
  limit = 100,
): Promise<DeadLetter[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(names.deadStream);
  const out: DeadLetter[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && out.length < limit; seq++) {
    const m = await jsm.streams.getMessage(names.deadStream, { seq }).catch(() => null);
    if (!m) continue;
    out.push({
      seq,
      feedSeq: Number(m.header.get(DEAD_LETTER_HEADERS.seq)),
      deliveries: Number(m.header.get(DEAD_LETTER_HEADERS.deliveries)),
      error: m.header.get(DEAD_LETTER_HEADERS.error),
      at: m.time.toISOString(),
    });
  }
  return out;
}
