import { randomBytes } from 'node:crypto';
import { SALT_BYTES, payloadDigest } from '../core/hash-chain';
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
import { LedgerValidationError } from './errors';
import type { GroupCommitQueue } from './group-commit';

/**
 * A projection that commits in the statement that appends its events (one round trip, one commit
 * flush): one data-modifying SQL statement (UPDATE, or INSERT … ON CONFLICT), run as a
 * data-modifying WITH item beside `ledger_append_events`. It runs also when the idempotency key
 * was already known, so it must be idempotent; when it fails, its events are not written.
 */
export interface OneTripProjection {
  /**
   * The row it writes (e.g. `loan_applications:<id>`): two projections with one target never
   * share a statement (PostgreSQL applies only one of two changes to a row in one statement).
   */
  target: string;
  /** The statement's SQL; `param(value)` adds a bound parameter and returns its placeholder. */
  sql(param: (value: unknown) => string): string;
}

/**
 * Options of a one-round-trip append: those of an append, with a projection given as one
 * statement ({@link OneTripProjection}) instead of a callback in an open transaction.
 */
export type OneTripOptions = Omit<AppendOptions, 'withinTransaction'> & { project?: OneTripProjection };

interface Queued {
  /** One call's events: written in one statement, all or none. */
  prepared: PreparedEvent[];
  project?: OneTripProjection;
  resolve: (r: AppendResult[]) => void;
  reject: (e: unknown) => void;
}

export { envelopeAround } from './envelope-around';

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

  /** Calls whose projections share a target go in separate statements, in arrival order. */
  private async settle(batch: Queued[]): Promise<AppendResult[]> {
    const now: Queued[] = [];
    const later: Queued[] = [];
    const targets = new Set<string>();
    for (const q of batch) {
      const target = q.project?.target;
      if (target !== undefined && targets.has(target)) later.push(q);
      else {
        if (target !== undefined) targets.add(target);
        now.push(q);
      }
    }
    const written = await this.settleTogether(now);
    return later.length > 0 ? [...written, ...(await this.settle(later))] : written;
  }

  private async settleTogether(batch: Queued[]): Promise<AppendResult[]> {
    let written: AppendResult[];
    try {
      written = await this.write(
        batch.flatMap((q) => q.prepared),
        batch.flatMap((q) => (q.project ? [q.project] : [])),
      );
    } catch (err) {
      // One failing projection fails only its own call: the others go again, each alone.
      if (batch.length > 1 && batch.some((q) => q.project)) return this.settleAlone(batch);
      for (const q of batch) q.reject(err);
      return [];
    }
    let at = 0;
    for (const q of batch) q.resolve(written.slice(at, (at += q.prepared.length)));
    return written;
  }

  private async settleAlone(batch: Queued[]): Promise<AppendResult[]> {
    const written: AppendResult[] = [];
    for (const q of batch) written.push(...(await this.settleTogether([q])));
    return written;
  }

  private async write(
    batch: PreparedEvent[],
    projections: OneTripProjection[] = [],
  ): Promise<AppendResult[]> {
    const salts = randomBytes(SALT_BYTES * batch.length);
    const col = <T>(f: (p: PreparedEvent, i: number) => T) => batch.map(f);
    const saltOf = (i: number) => salts.subarray(i * SALT_BYTES, (i + 1) * SALT_BYTES);
    const values: unknown[] = [
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
      col((p) => p.envelope[0]),
      col((p) => p.envelope[1]),
    ];
    const r = await this.db.$client.query<Row>(withProjections(projections, values), values);
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
 * {@link APPEND_SQL}, or with projections: the append as a WITH item read by the statement and each
 * projection as a data-modifying WITH item (PostgreSQL runs every one of those to completion), all
 * in the statement's one transaction. Each projection's parameters are appended to `values`.
 */
function withProjections(projections: OneTripProjection[], values: unknown[]): string {
  if (projections.length === 0) return APPEND_SQL;
  const param = (v: unknown) => `$${values.push(v)}`;
  const items = projections.map((p, i) => `p${i} AS (${p.sql(param)})`);
  return `WITH a AS MATERIALIZED (${APPEND_SQL}), ${items.join(', ')} SELECT * FROM a`;
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
    return this.appendMany([{ event, idempotencyKey: opts.idempotencyKey }], opts).then(
      (r) => r[0] as AppendResult,
    );
  }

  /**
   * Validates, chains and commits events of one stream, each under its own key, in one statement
   * (all or none; with `project`, the projection too), group-committed with calls arriving meanwhile.
   *
   * @throws LedgerValidationError when an event or the options are invalid; nothing is written.
   */
  appendMany(
    items: Array<{ event: AuditEventInput; idempotencyKey: string }>,
    opts: Omit<OneTripOptions, 'idempotencyKey'>,
  ): Promise<AppendResult[]> {
    let prepared: PreparedEvent[];
    try {
      if (items.length === 0) throw new LedgerValidationError('appendMany needs at least one event');
      prepared = items.map(({ event, idempotencyKey }) => {
        const o = checkOptions({ ...opts, idempotencyKey });
        return prepare(event, o.stream, o.key, opts.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES);
      });
    } catch (err) {
      return Promise.reject(err);
    }
    const name = (prepared[0] as PreparedEvent).committed.stream;
    let s = this.streams.get(name);
    if (!s) this.streams.set(name, (s = new OneTripStream(this.db, name, this.afterCommit)));
    const stream = s;
    const project = opts.project;
    return new Promise((resolve, reject) => stream.enqueue({ prepared, project, resolve, reject }));
  }
}
