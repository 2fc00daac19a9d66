import { StrictJsonError, canonicalJson, checkIJson } from '../core/canonical-json';
import { randomBytes } from 'node:crypto';
import { v7 as timeOrderedUuid } from 'uuid';
import type { PoolClient } from 'pg';
import {
  AuditEnvelopeInputSchema,
  AuditEventInputSchema,
  IdempotencyKeySchema,
  StreamSchema,
  describeZodError,
  type AuditEventInput,
  type AuditEventParsed,
  type CommittedEvent,
} from '../core/audit-event';
import { GENESIS_HASH, SALT_BYTES } from '../core/hash-chain';
import { chainHashAround, saltedDigest } from './chain-scratch';
import { envelopeAround } from './envelope-around';
import { formatMicros } from '../core/time';
import type { Database } from '../db/client';
import { isJsonSafeObject } from '../core/json-value';
import { arrayLiteral } from './array-literal';
import { LedgerValidationError } from './errors';
import { GroupCommitQueue } from './group-commit';
import { plainEnvelope } from './plain-envelope';
import {
  CHECKPOINT_BASE_SQL,
  inlineRows,
  nextBase,
  type CheckpointBase,
  type NextBase,
  type InlineCheckpoints,
  type InlineRows,
} from './inline-checkpoint';

export const DEFAULT_MAX_EVENT_BYTES = 256 * 1024;
/** Most events one group-commit transaction appends. */
export const MAX_BATCH = 1000;

export interface AppendOptions {
  /** Chain to append to; default `default`. */
  stream?: string;
  /** Same key, same stream: the first event is returned and nothing is written. */
  idempotencyKey: string;
  /** Size limit of the canonical event incl. payload; default 256 KiB. */
  maxEventBytes?: number;
  /**
   * Runs inside the append's transaction after its rows are written (also when the key was
   * already known, so it must be idempotent): a projection beside the event commits with it, in
   * one commit flush. When it throws, the event is not written and the append rejects with its
   * error; events group-committed with it are then retried in transactions of their own.
   */
  withinTransaction?: (tx: LedgerTransaction) => Promise<void>;
}

/** The connection of an append's open transaction, for {@link AppendOptions.withinTransaction}. */
export type LedgerTransaction = Pick<PoolClient, 'query'>;

/** What an append returns: where the event sits in its chain. */
export interface AppendResult {
  stream: string;
  seq: number;
  eventId: string;
  hash: string;
  occurredAt: string;
  /** False when the idempotency key was already known and nothing was written. */
  created: boolean;
}

interface Prepared {
  key: string;
  committed: Omit<CommittedEvent, 'seq' | 'occurred_at'>;
  /** The canonical envelope around its occurred_at value ({@link envelopeAround}). */
  envelope: [string, string];
  canonicalPayload: string;
  payload: unknown;
  within?: AppendOptions['withinTransaction'];
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

/** An event validated and canonicalised, ready to be chained (also used by ledger/append-one-trip.ts). */
export type PreparedEvent = Omit<Prepared, 'resolve' | 'reject' | 'within'>;

/** Validates and canonicalises an event up front, so a bad event never joins a batch. */
export function prepare(
  input: AuditEventInput,
  stream: string,
  key: string,
  maxBytes: number,
): Omit<Prepared, 'resolve' | 'reject'> {
  const e = validate(input);
  const committed = {
    stream,
    // Time-ordered (UUIDv7): new ids land at the right edge of the event-id index, not on a random
    // page of it (a 10M-event ledger read ~850 uncached index pages per 1,000-event batch).
    event_id: e.event_id ?? timeOrderedUuid(),
    event_type: e.event_type,
    actor: e.actor,
    resource: e.resource,
    action: e.action,
    outcome: e.outcome,
    subject_id: e.subject_id ?? null,
    case_id: e.case_id ?? null,
    context: e.context,
    schema_version: e.schema_version,
    idempotency_key: key,
  };
  const canonicalPayload = canonicalJson(e.payload);
  const size = Buffer.byteLength(canonicalPayload) + Buffer.byteLength(JSON.stringify(committed));
  if (size > maxBytes) {
    throw new LedgerValidationError(
      `invalid audit event: payload: event is ${size} bytes, over the ${maxBytes}-byte limit`,
    );
  }
  return { key, committed, envelope: envelopeAround(committed), canonicalPayload, payload: e.payload };
}

/**
 * I-JSON check and zod parse of an event. A plain JSON payload (the usual case) is checked by
 * one walk instead of zod's recursive union, which copies it, and a plain envelope by
 * {@link plainEnvelope}; anything else takes the full schema, so every error message is the schema's.
 */
function validate(input: AuditEventInput): AuditEventParsed {
  const whole = input as Partial<AuditEventInput> | null;
  if (typeof whole === 'object' && whole !== null && !Array.isArray(whole)) {
    const { payload, ...envelope } = whole;
    if (payload === undefined || isJsonSafeObject(payload)) {
      ijson(envelope);
      const plain = plainEnvelope(envelope);
      if (plain) return { ...plain, payload: payload ?? {} };
      const parsed = AuditEnvelopeInputSchema.safeParse(envelope);
      if (parsed.success) return { ...parsed.data, payload: payload ?? {} };
    }
  }
  ijson(input);
  const parsed = AuditEventInputSchema.safeParse(input);
  if (!parsed.success)
    throw new LedgerValidationError(`invalid audit event: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

function ijson(value: unknown): void {
  try {
    checkIJson(value);
  } catch (err) {
    if (err instanceof StrictJsonError)
      throw new LedgerValidationError(`invalid audit event: ${err.message}`);
    throw err;
  }
}

interface ExistingRow {
  idempotency_key: string;
  seq: number;
  event_id: string;
  hash: string;
  occurred_us: string;
}

/**
 * Group commit (see {@link GroupCommitQueue}) of one stream's transactional appends: one lock and
 * one commit flush cover every event queued while the previous transaction was in flight.
 */
class StreamAppender {
  private readonly queue: GroupCommitQueue<Prepared, AppendResult>;

  constructor(
    private readonly db: Database,
    private readonly stream: string,
    afterCommit: AfterCommit,
    private readonly inline?: InlineCheckpoints,
  ) {
    this.queue = streamQueue(stream, afterCommit, (batch) => this.settle(batch));
  }

  enqueue(p: Prepared): void {
    this.queue.enqueue(p);
  }

  private async settle(batch: Prepared[]): Promise<AppendResult[]> {
    try {
      return await this.appendBatch(batch);
    } catch (err) {
      if (batch.length > 1 && batch.some((p) => p.within)) return this.appendAlone(batch);
      for (const p of batch) p.reject(err);
      return [];
    }
  }

  private async appendBatch(batch: Prepared[], probe = false): Promise<AppendResult[]> {
    const client = await this.db.$client.connect();
    let results: Array<[BatchItem, AppendResult]> | null = null;
    try {
      await client.query('BEGIN');
      const written = await writeBatch(client, this.stream, batch, this.inline, probe);
      for (const p of batch) if (p.within) await p.within(client);
      await client.query('COMMIT');
      results = written.results;
      this.inline?.committed(
        this.stream,
        lastCreated(written.results.map(([, r]) => r)),
        written.signed,
        written.next,
      );
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      if (probe || !isKnownKey(err)) throw err;
    } finally {
      client.release();
    }
    if (!results) return this.appendBatch(batch, true);
    for (const [p, r] of results) (p as Prepared).resolve(r);
    return results.map(([, r]) => r);
  }

  /** Each event of a failed batch in its own transaction, so one failing projection fails only its own append. */
  private async appendAlone(batch: Prepared[]): Promise<AppendResult[]> {
    const written: AppendResult[] = [];
    for (const p of batch) {
      try {
        written.push(...(await this.appendBatch([p])));
      } catch (err) {
        p.reject(err);
      }
    }
    return written;
  }
}

/**
 * Called after a commit that created seqs `firstSeq..lastSeq` of `stream`, before the stream's
 * next batch (the ledger object hangs its checkpoint cadence here).
 */
export type AfterCommit = (stream: string, firstSeq: number, lastSeq: number) => Promise<void>;

/** One stream's group-commit queue: batches of up to MAX_BATCH, then the after-commit hook. */
export function streamQueue<T>(
  stream: string,
  afterCommit: AfterCommit,
  settle: (batch: T[]) => Promise<AppendResult[]>,
): GroupCommitQueue<T, AppendResult> {
  return new GroupCommitQueue(MAX_BATCH, settle, (written) => afterCommitOf(afterCommit, stream, written));
}

/** The highest seq created among `written` (0 when none). */
function lastCreated(written: AppendResult[]): number {
  let last = 0;
  for (const r of written) if (r.created && r.seq > last) last = r.seq;
  return last;
}

function afterCommitOf(hook: AfterCommit, stream: string, written: AppendResult[]): Promise<void> {
  let first = Infinity;
  let last = 0;
  for (const r of written) {
    if (!r.created) continue;
    first = Math.min(first, r.seq);
    last = Math.max(last, r.seq);
  }
  return last === 0 ? Promise.resolve() : hook(stream, first, last);
}

/** One event of a batch: prepared already (group commit), or validated lazily inside the pipeline (bulk). */
type BatchItem = Prepared | { key: string; make: () => Omit<Prepared, 'resolve' | 'reject'> };

/** The rows of a batch, column by column, as the append path writes them (also used by the fixture builder). */
export interface ChainColumns {
  seq: number[];
  eventId: string[];
  eventType: string[];
  actorType: string[];
  actorId: string[];
  resourceType: string[];
  resourceId: string[];
  action: string[];
  outcome: string[];
  subjectId: Array<string | null>;
  caseId: Array<string | null>;
  /** JSON text of the context (stored as jsonb). */
  context: string[];
  schemaVersion: number[];
  key: string[];
  digest: Buffer[];
  prevHash: Buffer[];
  hash: Buffer[];
  salt: Buffer[];
  /** Canonical JSON text of the payload (stored as jsonb). */
  payload: string[];
}

/** Empty {@link ChainColumns}. */
export function newChainColumns(): ChainColumns {
  return {
    seq: [],
    eventId: [],
    eventType: [],
    actorType: [],
    actorId: [],
    resourceType: [],
    resourceId: [],
    action: [],
    outcome: [],
    subjectId: [],
    caseId: [],
    context: [],
    schemaVersion: [],
    key: [],
    digest: [],
    prevHash: [],
    hash: [],
    salt: [],
    payload: [],
  };
}

/**
 * Chains one prepared event at `seq` after `prev` (payload digest with `salt`, canonical envelope
 * at `occurredAt`, chain hash) and adds its row to `cols`; returns its hash. Pure: the rows it
 * produces are what the append path inserts, byte for byte.
 */
export function chainEvent(
  cols: ChainColumns,
  p: PreparedEvent,
  seq: number,
  prev: Buffer,
  occurredAt: string,
  salt: Buffer,
): Buffer {
  const digest = saltedDigest(salt, p.canonicalPayload);
  const hash = chainHashAround(prev, seq, p.envelope[0], occurredAt, p.envelope[1], digest);
  const c = p.committed;
  cols.seq.push(seq);
  cols.eventId.push(c.event_id);
  cols.eventType.push(c.event_type);
  cols.actorType.push(c.actor.type);
  cols.actorId.push(c.actor.id);
  cols.resourceType.push(c.resource.type);
  cols.resourceId.push(c.resource.id);
  cols.action.push(c.action);
  cols.outcome.push(c.outcome);
  cols.subjectId.push(c.subject_id);
  cols.caseId.push(c.case_id);
  cols.context.push(JSON.stringify(c.context));
  cols.schemaVersion.push(c.schema_version);
  cols.key.push(p.key);
  cols.digest.push(digest);
  cols.prevHash.push(prev);
  cols.hash.push(hash);
  cols.salt.push(salt);
  cols.payload.push(p.canonicalPayload);
  return hash;
}

/**
 * Rows of a batch's first INSERT; each next one is 4x larger (64, 256, 680 of 1,000): the database
 * starts early, and the next sub-batch is validated and hashed while this one is written (hashing
 * a row takes about a quarter of the time inserting it does).
 */
const FIRST_SUB_BATCH = 250;

/** True for the unique violation of a known idempotency key: the batch is written again, probing its keys first. */
function isKnownKey(err: unknown): boolean {
  const e = err as { code?: unknown; constraint?: unknown } | null;
  return e?.code === '23505' && e.constraint === 'ledger_events_idempotency';
}

/** One batch's multi-row INSERT of both tables (the plain baseline of `npm run bench -- ledger` runs it on copies). */
export const INSERT_SQL = `WITH ev AS (
         INSERT INTO ledger_events (stream, seq, event_id, event_type, actor_type, actor_id, occurred_at,
           resource_type, resource_id, action, outcome, subject_id, case_id, context, schema_version,
           idempotency_key, payload_digest, prev_hash, hash)
         SELECT $1, u.* FROM unnest($2::bigint[], $3::uuid[], $4::text[], $5::text[], $6::text[],
           array_fill($7::timestamptz, ARRAY[cardinality($2::bigint[])]),
           $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::jsonb[], $15::int[],
           $16::text[], $17::bytea[], $18::bytea[], $19::bytea[]) AS u
         RETURNING 1)
       INSERT INTO ledger_payloads (stream, seq, salt, payload)
       SELECT $1, s, salt, payload FROM unnest($2::bigint[], $20::bytea[], $21::jsonb[]) AS p(s, salt, payload)`;

/** {@link INSERT_SQL} that also writes the tiles and signed checkpoints a batch crossed ({@link inlineRows}). */
const INSERT_WITH_CHECKPOINTS_SQL = INSERT_SQL.replace(
  'RETURNING 1)',
  `RETURNING 1),
       tiles AS (
         INSERT INTO ledger_merkle_tiles (stream, level, idx, hash)
         SELECT $1, l, i, h FROM unnest($22::smallint[], $23::bigint[], $24::bytea[]) AS t(l, i, h)
         ON CONFLICT DO NOTHING RETURNING 1),
       cps AS (
         INSERT INTO ledger_checkpoints (stream, tree_size, root_hash, frontier, key_id, signed_at, checkpoint)
         SELECT $1, n, r, f, $25, $7::timestamptz, c
           FROM unnest($26::bigint[], $27::bytea[], $28::bytea[], $29::text[]) AS x(n, r, f, c)
         RETURNING 1)`,
);

/**
 * Inside a transaction: lock the stream head, skip known keys, chain and insert the rest. The
 * head lock is requested first and the rows go out in sub-batches without waiting for each
 * other, so validation and hashing in Node overlap the database's work (one transaction, so a
 * failure anywhere still writes nothing).
 *
 * Without `probe`, no key is looked up first: a known key then fails the INSERT on the
 * (stream, idempotency_key) constraint ({@link isKnownKey}) and the caller rolls back and writes
 * the batch again with `probe` (keys looked up under the head lock, known ones skipped). A new key
 * — the usual case — is then checked once, by the INSERT's own index probe, not twice.
 */
async function writeBatch(
  client: PoolClient,
  stream: string,
  batch: BatchItem[],
  inline: InlineCheckpoints | undefined,
  probe: boolean,
): Promise<{ results: Array<[BatchItem, AppendResult]>; signed: number[]; next: NextBase | null }> {
  const keys = probe ? [...new Set(batch.map((p) => p.key))] : [];
  const headQuery = client.query<{
    head_seq: number | null;
    head_hash: Buffer | null;
    now_us: number;
    existing: ExistingRow[];
  }>('SELECT * FROM ledger_lock_head($1, $2)', [stream, keys]);
  headQuery.catch(() => undefined);
  const crossing = inline?.mayCross(stream, batch.length) ?? false;
  // The base is read right behind the head lock, unless this ledger object remembers it from its
  // last batch (checked against the head once the lock answers; read then if another writer moved it).
  const readBase = () => {
    const q = client.query<CheckpointBase>(CHECKPOINT_BASE_SQL, [stream, batch.length, inline?.every]);
    q.catch(() => undefined);
    return q;
  };
  let baseQuery = crossing && !inline?.remembers(stream) ? readBase() : null;
  let before: CheckpointBase | undefined;
  // At most one query in flight (pg runs one at a time): the previous sub-batch is written
  // while the next one is validated and hashed.
  let inFlight: Promise<unknown> = baseQuery ?? headQuery;
  let headSeq = 0;
  const batchHashes: Buffer[] = [];
  let signed: InlineRows | null = null;
  const results: Array<[BatchItem, AppendResult]> = [];
  let known: Map<string, AppendResult> | undefined;
  let occurredAt = '';
  let seq = 0;
  let prev: Buffer = GENESIS_HASH;
  try {
    for (let off = 0, n = FIRST_SUB_BATCH; off < batch.length; off += n) {
      const sub = batch.slice(off, off + n);
      const ready = sub.map((p) => ('make' in p ? p.make() : p));
      if (!known) {
        const h = (await headQuery).rows[0];
        if (!h) throw new Error('ledger_lock_head returned no row');
        known = new Map<string, AppendResult>();
        for (const x of h.existing) {
          known.set(x.idempotency_key, {
            stream,
            seq: Number(x.seq),
            eventId: x.event_id,
            hash: x.hash,
            occurredAt: formatMicros(x.occurred_us),
            created: false,
          });
        }
        occurredAt = formatMicros(h.now_us);
        seq = h.head_seq ?? 0;
        headSeq = Number(seq);
        prev = h.head_hash ?? GENESIS_HASH;
        before = inline?.baseAt(stream, headSeq, h.head_hash);
        if (crossing && !baseQuery && !before) inFlight = baseQuery = readBase();
      }
      const cols = newChainColumns();
      const salts = randomBytes(SALT_BYTES * sub.length);
      sub.forEach((item, j) => {
        const p = ready[j] as Omit<Prepared, 'resolve' | 'reject'>;
        const seen = (known as Map<string, AppendResult>).get(p.key);
        if (seen) {
          results.push([item, { ...seen, created: false }]);
          return;
        }
        seq += 1;
        const salt = salts.subarray(j * SALT_BYTES, (j + 1) * SALT_BYTES);
        const hash = chainEvent(cols, p, seq, prev, occurredAt, salt);
        batchHashes.push(hash);
        const c = p.committed;
        const result: AppendResult = {
          stream,
          seq,
          eventId: c.event_id,
          hash: hash.toString('hex'),
          occurredAt,
          created: true,
        };
        (known as Map<string, AppendResult>).set(p.key, result);
        results.push([item, result]);
        prev = hash;
      });
      const last = off + n >= batch.length;
      if (last && inline && crossing && batchHashes.length > 0) {
        const base = before ?? (baseQuery ? (await baseQuery).rows[0] : undefined);
        if (!before && base && Number(base.head_seq) === headSeq) before = base;
        if (base && Number(base.head_seq) === headSeq)
          signed = inlineRows(base, batchHashes, stream, inline.every, inline.signer, occurredAt);
      }
      if (cols.seq.length > 0 || signed) {
        const a = arrayLiteral;
        // Serialised here, while the previous statement still runs (pg would do it only once
        // that one has answered, with the connection idle meanwhile).
        const params: unknown[] = [
          stream,
          a(cols.seq),
          a(cols.eventId),
          a(cols.eventType),
          a(cols.actorType),
          a(cols.actorId),
          occurredAt,
          a(cols.resourceType),
          a(cols.resourceId),
          a(cols.action),
          a(cols.outcome),
          a(cols.subjectId),
          a(cols.caseId),
          a(cols.context),
          a(cols.schemaVersion),
          a(cols.key),
          a(cols.digest),
          a(cols.prevHash),
          a(cols.hash),
          a(cols.salt),
          a(cols.payload),
        ];
        if (signed && inline) {
          params.push(
            a(signed.tileLevel),
            a(signed.tileIdx),
            a(signed.tileHash),
            inline.signer.keyId,
            a(signed.sizes),
            a(signed.roots),
            a(signed.frontiers),
            a(signed.texts),
          );
        }
        await inFlight;
        const q = client.query(signed ? INSERT_WITH_CHECKPOINTS_SQL : INSERT_SQL, params);
        q.catch(() => undefined);
        inFlight = q;
      }
    }
    await inFlight;
    if (baseQuery) await baseQuery;
  } catch (err) {
    await inFlight.catch(() => undefined);
    await baseQuery?.catch(() => undefined);
    throw err;
  }
  const next = inline ? nextBase(before, headSeq, batchHashes, signed, inline.every) : null;
  return { results, signed: signed?.sizes ?? [], next };
}

/** Validated stream and idempotency key of an append. */
export function checkOptions(opts: AppendOptions): { stream: string; key: string } {
  const stream = StreamSchema.safeParse(opts.stream);
  if (!stream.success) throw new LedgerValidationError(`invalid stream: ${describeZodError(stream.error)}`);
  const key = IdempotencyKeySchema.safeParse(opts.idempotencyKey);
  if (!key.success) throw new LedgerValidationError(`invalid idempotencyKey: ${describeZodError(key.error)}`);
  return { stream: stream.data, key: key.data };
}

/**
 * The append path of one ledger object: one group-commit queue per stream. Use it through
 * `createLedger` (ledger/ledger.ts), which adds the checkpoint cadence.
 */
export class Appender {
  private readonly streams = new Map<string, StreamAppender>();

  constructor(
    private readonly db: Database,
    private readonly afterCommit: AfterCommit = () => Promise.resolve(),
    private readonly inline?: InlineCheckpoints,
  ) {}

  private streamAppender(stream: string): StreamAppender {
    let a = this.streams.get(stream);
    if (!a)
      this.streams.set(stream, (a = new StreamAppender(this.db, stream, this.afterCommit, this.inline)));
    return a;
  }

  /**
   * Validates the event (zod), chains it into its stream (SHA-256 over canonical JSON, database
   * clock) and commits it with concurrent appends to the same stream. A known idempotency key
   * returns the original event and writes nothing.
   *
   * @throws LedgerValidationError when the event or options are invalid; nothing is written.
   */
  append(event: AuditEventInput, opts: AppendOptions): Promise<AppendResult> {
    let prepared: Omit<Prepared, 'resolve' | 'reject'>;
    let stream: string;
    try {
      const o = checkOptions(opts);
      stream = o.stream;
      prepared = prepare(event, stream, o.key, opts.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES);
    } catch (err) {
      return Promise.reject(err);
    }
    const within = opts.withinTransaction;
    return new Promise((resolve, reject) =>
      this.streamAppender(stream).enqueue({ ...prepared, within, resolve, reject }),
    );
  }

  /**
   * Appends many events to one stream as a unit: either all are written (in order, skipping
   * known keys) or none; an invalid event fails the call, naming it, and nothing is written.
   */
  async appendMany(
    items: Array<{ event: AuditEventInput; idempotencyKey: string }>,
    opts: Omit<AppendOptions, 'idempotencyKey'> = {},
  ): Promise<AppendResult[]> {
    const stream = checkOptions({ ...opts, idempotencyKey: 'x' }).stream;
    const maxBytes = opts.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
    const named = (i: number, err: unknown) =>
      err instanceof LedgerValidationError
        ? new LedgerValidationError(`event ${i + 1}: ${err.message}`)
        : err;
    // Keys are checked up front; each event is validated inside the write pipeline (before its
    // rows are sent), and any invalid event rolls the whole transaction back.
    const lazy: BatchItem[] = items.map((it, i) => {
      let key: string;
      try {
        key = checkOptions({ ...opts, idempotencyKey: it.idempotencyKey }).key;
      } catch (err) {
        throw named(i, err);
      }
      return {
        key,
        make: () => {
          try {
            return prepare(it.event, stream, key, maxBytes);
          } catch (err) {
            throw named(i, err);
          }
        },
      };
    });
    let out = await this.writeMany(stream, lazy, opts.withinTransaction, false).catch((err: unknown) => {
      if (isKnownKey(err)) return null;
      throw err;
    });
    out ??= await this.writeMany(stream, lazy, opts.withinTransaction, true);
    await afterCommitOf(this.afterCommit, stream, out);
    return out;
  }

  /** {@link appendMany}'s transaction, with or without probing every key first ({@link writeBatch}). */
  private async writeMany(
    stream: string,
    lazy: BatchItem[],
    within: AppendOptions['withinTransaction'],
    probe: boolean,
  ): Promise<AppendResult[]> {
    const out: AppendResult[] = [];
    const signed: number[] = [];
    let next: NextBase | null = null;
    const client = await this.db.$client.connect();
    try {
      await client.query('BEGIN');
      for (let i = 0; i < lazy.length; i += MAX_BATCH) {
        const written = await writeBatch(client, stream, lazy.slice(i, i + MAX_BATCH), this.inline, probe);
        out.push(...written.results.map(([, r]) => r));
        signed.push(...written.signed);
        next = written.next;
      }
      if (within) await within(client);
      await client.query('COMMIT');
      this.inline?.committed(stream, lastCreated(out), signed, next);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
    return out;
  }
}
