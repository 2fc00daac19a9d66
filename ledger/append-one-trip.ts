import { randomBytes } from 'node:crypto';
import type { CommittedEvent } from '../core/audit-event';
import { SALT_BYTES, canonicalEnvelope, payloadDigest } from '../core/hash-chain';
import { formatMicros } from '../core/time';
import type { AuditEventInput } from '../core/audit-event';
import type { Database } from '../db/client';
import {
  DEFAULT_MAX_EVENT_BYTES,
  checkOptions,
  prepare,
  streamQueue,
  type AfterCommit,
  type AppendOptions,
  type AppendResult,
  type PreparedEvent,
} from './append';
import type { GroupCommitQueue } from './group-commit';

/** Options of a one-round-trip append: those of an append without a projection in its transaction. */
export type OneTripOptions = Omit<AppendOptions, 'withinTransaction'>;

interface Queued {
  prepared: PreparedEvent;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

// Any value of the occurred_at form: the envelope is cut around it and the database puts its clock in.
const MARK = '0000-00-00T00:00:00.000000Z';
const MARKED = `"occurred_at":"${MARK}"`;

/**
 * The canonical envelope before and after its occurred_at value. Members after occurred_at
 * (outcome, resource, schema_version, stream, subject_id) hold no objects with free keys, and a
 * quote inside any string is escaped, so the last marked member is the envelope's own.
 */
export function envelopeAround(committed: Omit<CommittedEvent, 'seq' | 'occurred_at'>): [string, string] {
  const env = canonicalEnvelope({ ...committed, seq: 0, occurred_at: MARK });
  const at = env.lastIndexOf(MARKED);
  if (at < 0) throw new Error('canonical envelope without its occurred_at member');
  const cut = at + MARKED.length - MARK.length - 1;
  return [env.slice(0, cut), env.slice(cut + MARK.length)];
}

interface Row {
  idempotency_key: string;
  seq: string;
  event_id: string;
  hash: Buffer;
  occurred_us: string;
  created: boolean;
}

const APPEND_SQL = `SELECT * FROM ledger_append_events($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
  $13::jsonb[], $14, $15, $16, $17::jsonb[], $18, $19)`;

/**
 * Appends of one stream in one database round trip each (`ledger_append_events`, one statement
 * in autocommit: it locks the head, chains, inserts and commits before it answers). Calls that
 * arrive while one is in flight go together in the next (group commit), so each caller waits
 * for the commit of its own event and no more than one call before it.
 */
class OneTripStream {
  private readonly queue: GroupCommitQueue<Queued, AppendResult>;

  constructor(
    private readonly db: Database,
    private readonly stream: string,
    afterCommit: AfterCommit,
  ) {
    this.queue = streamQueue(stream, afterCommit, (batch) => this.settle(batch));
  }

  enqueue(q: Queued): void {
    this.queue.enqueue(q);
  }

  private async settle(batch: Queued[]): Promise<AppendResult[]> {
    let written: AppendResult[];
    try {
      written = await this.write(batch.map((q) => q.prepared));
    } catch (err) {
      for (const q of batch) q.reject(err);
      return [];
    }
    batch.forEach((q, i) => q.resolve(written[i] as AppendResult));
    return written;
  }

  private async write(batch: PreparedEvent[]): Promise<AppendResult[]> {
    const salts = randomBytes(SALT_BYTES * batch.length);
    const col = <T>(f: (p: PreparedEvent, i: number) => T) => batch.map(f);
    const saltOf = (i: number) => salts.subarray(i * SALT_BYTES, (i + 1) * SALT_BYTES);
    const around = col((p) => envelopeAround(p.committed));
    const r = await this.db.$client.query<Row>(APPEND_SQL, [
      this.stream,
      col((p) => p.key),
      col((p) => p.committed.event_id),
      col((p) => p.committed.event_type),
      col((p) => p.committed.actor.type),
      col((p) => p.committed.actor.id),
      col((p) => p.committed.resource.type),
      col((p) => p.committed.resource.id),
      col((p) => p.committed.action),
      col((p) => p.committed.outcome),
      col((p) => p.committed.subject_id),
      col((p) => p.committed.case_id),
      col((p) => JSON.stringify(p.committed.context)),
      col((p) => p.committed.schema_version),
      col((p, i) => payloadDigest(saltOf(i), p.canonicalPayload)),
      col((_p, i) => saltOf(i)),
      col((p) => p.canonicalPayload),
      around.map(([head]) => head),
      around.map(([, tail]) => tail),
    ]);
    if (r.rows.length !== batch.length)
      throw new Error(`ledger_append_events returned ${r.rows.length} rows for ${batch.length} events`);
    return r.rows.map((row) => ({
      stream: this.stream,
      seq: Number(row.seq),
      eventId: row.event_id,
      hash: row.hash.toString('hex'),
      occurredAt: formatMicros(row.occurred_us),
      created: row.created,
    }));
  }
}

/**
 * The one-round-trip append path of one ledger object (for appends on a request's critical path,
 * such as the API's read records): same validation, chain, salts and payload rows as
 * {@link Appender.append}, and the same head lock, so both paths can append to one stream.
 */
export class OneTripAppender {
  private readonly streams = new Map<string, OneTripStream>();

  constructor(
    private readonly db: Database,
    private readonly afterCommit: AfterCommit = () => Promise.resolve(),
  ) {}

  /**
   * Validates, chains and commits one event in one round trip (with those arriving meanwhile);
   * a known idempotency key returns the original event and writes nothing.
   *
   * @throws LedgerValidationError when the event or options are invalid; nothing is written.
   */
  append(event: AuditEventInput, opts: OneTripOptions): Promise<AppendResult> {
    let prepared: PreparedEvent;
    try {
      const o = checkOptions(opts);
      prepared = prepare(event, o.stream, o.key, opts.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES);
    } catch (err) {
      return Promise.reject(err);
    }
    let s = this.streams.get(prepared.committed.stream);
    if (!s)
      this.streams.set(
        prepared.committed.stream,
        (s = new OneTripStream(this.db, prepared.committed.stream, this.afterCommit)),
      );
    const stream = s;
    return new Promise((resolve, reject) => stream.enqueue({ prepared, resolve, reject }));
  }
}
