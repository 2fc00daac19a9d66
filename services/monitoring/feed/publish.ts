import { readFile } from 'node:fs/promises';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { InputError } from '../../../runtime/errors';
import { parseJsonl } from '../parse';
import { accountSubject, type FeedNames } from './streams';

/** What one `tx publish` did. */
export interface PublishSummary {
  source: string;
  lines: number;
  /** Messages the stream stored. */
  published: number;
  /** Lines repeated in the file, and messages the broker recognised as already published (same id within its duplicate window). */
  duplicates: number;
}

/** Publishes in windows of this many unacknowledged messages. */
const IN_FLIGHT = 500;

/**
 * Validates a whole JSONL file of transactions, then publishes one message per transaction to
 * its account's partition subject of the feed (message id = transaction id, so the broker drops a re-publish within its duplicate
 * window; the consumer is idempotent by transaction id beyond it). A bad line rejects the file
 * with its line number and reason before anything is published.
 */
export async function publishFile(
  nc: NatsConnection,
  names: FeedNames,
  file: string,
): Promise<PublishSummary> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const parsed = parseJsonl(text);
  const bad = parsed.rejections[0];
  if (bad)
    throw new InputError(
      `${file} line ${bad.line}: ${bad.reason}` +
        (parsed.rejections.length > 1 ? ` (and ${parsed.rejections.length - 1} more bad lines)` : '') +
        '; nothing was published',
    );
  const js = jetstream(nc);
  const summary: PublishSummary = {
    source: file,
    lines: parsed.lines,
    published: 0,
    duplicates: parsed.duplicates,
  };
  for (let i = 0; i < parsed.items.length; i += IN_FLIGHT) {
    const acks = await Promise.all(
      parsed.items.slice(i, i + IN_FLIGHT).map((it) =>
        js.publish(accountSubject(names, it.tx.account_id), JSON.stringify(it.tx), {
          msgID: it.tx.transaction_id,
        }),
      ),
    );
    for (const a of acks) {
      if (a.duplicate) summary.duplicates++;
      else summary.published++;
    }
  }
  return summary;
}
