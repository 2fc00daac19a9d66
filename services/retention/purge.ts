import type { Database } from '../../db/client';
import type { LedgerflowMetrics } from '../../runtime/metrics';
import type { Ledger } from '../../ledger/ledger';
import { PURGE_EVENT_STREAM, purgeEvents, toRanges } from '../../ledger/purge-events';
import { rethrow } from './errors';

/** Purge batches (the `retention_purge_batch` SQL function) and the records they leave. */

export interface BatchResult {
  purged: number;
  held_late: number;
  claimed: number;
  done: boolean;
  cursor: unknown;
  batch_no?: number;
  policy_versions: string;
}

/**
 * One purge batch in its own READ COMMITTED transaction, as the purger role: `purgerDb` connects
 * as ledgerflow_purger; without it the (writer) pool switches role with SET LOCAL ROLE.
 */
export async function purgeBatch(
  db: Database,
  args: {
    purgeRunId: string;
    dataClass: string;
    asOf: string;
    limit: number;
    cursor: unknown;
    viaSetRole: boolean;
  },
): Promise<BatchResult> {
  const client = await db.$client.connect();
  const lit = (v: string) => client.escapeLiteral(v);
  const cursor = args.cursor === null || args.cursor === undefined ? null : JSON.stringify(args.cursor);
  try {
    // One round trip per batch: the transaction, the call and its commit in one simple-protocol
    // message (values as escaped literals, cast as the function declares them). If the call
    // fails, PostgreSQL skips the COMMIT and the catch below rolls back.
    const results = (await client.query(
      'BEGIN ISOLATION LEVEL READ COMMITTED; ' +
        (args.viaSetRole ? 'SET LOCAL ROLE ledgerflow_purger; ' : '') +
        `SELECT retention_purge_batch(${lit(args.purgeRunId)}, ${lit(args.dataClass)}, ${lit(args.asOf)}::timestamptz, ` +
        `${lit(String(args.limit))}::integer, ${cursor === null ? 'NULL' : lit(cursor)}::jsonb) AS r; COMMIT`,
    )) as unknown as { rows: { r?: BatchResult }[] }[];
    const row = results.find((res) => res.rows[0]?.r !== undefined);
    return row!.rows[0]!.r!;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    rethrow(err);
  } finally {
    client.release();
  }
}

export interface BatchRecord {
  dataClass: string;
  batchNo: number;
  purged: number;
  heldSkipped: number;
  firstKey: string | null;
  lastKey: string | null;
  minTs: string | null;
  maxTs: string | null;
  digest: string | null;
  /** Format of `digest` (core/retention/purge-digest.ts). */
  digestVersion: number;
  policyVersions: string;
}

/** The committed batches of a purge run: the truth the certificate is built from. */
export async function batchRecords(db: Database, purgeRunId: string): Promise<BatchRecord[]> {
  const r = await db.$client.query<BatchRecord>(
    `SELECT data_class AS "dataClass", batch_no AS "batchNo", purged, held_skipped AS "heldSkipped", first_key AS "firstKey",
            last_key AS "lastKey", to_char(min_ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "minTs",
            to_char(max_ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "maxTs",
            encode(digest, 'hex') AS digest, digest_version AS "digestVersion", policy_versions AS "policyVersions"
       FROM retention_purge_batches WHERE purge_run_id = $1 ORDER BY data_class, batch_no`,
    [purgeRunId],
  );
  return r.rows;
}

/** Where purge batches run. */
export interface PurgeDeps {
  /** The writer pool (batches switch to the purger role with SET LOCAL ROLE when `purgerDb` is absent). */
  db: Database;
  /** A pool connected as ledgerflow_purger (it may only execute the purge functions). */
  purgerDb?: Database;
  /** Counts purged rows (the process's registry). */
  metrics?: LedgerflowMetrics;
  /** Writes the chained purge event of each batch that removed ledger payloads. */
  ledger: Ledger;
}

/**
 * Chains one purge event (or several, when the ranges exceed the size limit) per committed batch
 * of `purgeRunId`/`dataClass` that removed ledger payloads: all batches, or only `batchNo`.
 * Idempotent per batch, so a retried activity (or a crash between the batch commit and this
 * append) writes each event once.
 */
export async function recordPurgeEvents(
  deps: PurgeDeps,
  purgeRunId: string,
  dataClass: string,
  batchNo?: number,
): Promise<void> {
  const batches = await deps.db.$client.query<{ batch_no: number; first_key: string; last_key: string }>(
    `SELECT b.batch_no, b.first_key, b.last_key FROM retention_purge_batches b
       JOIN retention_data_classes d ON d.data_class = b.data_class AND d.table_name = 'ledger_payloads'
      WHERE b.purge_run_id = $1 AND b.data_class = $2 AND b.purged > 0 AND ($3::int IS NULL OR b.batch_no = $3)
      ORDER BY b.batch_no`,
    [purgeRunId, dataClass, batchNo ?? null],
  );
  for (const b of batches.rows) {
    const [first, last] = [b.first_key, b.last_key].map((k) => {
      const i = k.lastIndexOf(':');
      return { stream: k.slice(0, i), seq: Number(k.slice(i + 1)) };
    }) as [{ stream: string; seq: number }, { stream: string; seq: number }];
    const keys = await deps.db.$client.query<{ stream: string; seq: string; seq_to: string }>(
      `SELECT stream, seq, coalesce(seq_to, seq) AS seq_to FROM ledger_payload_purges
        WHERE purge_run_id = $1 AND (stream, seq) >= ($2, $3) AND (stream, seq) <= ($4, $5)`,
      [purgeRunId, first.stream, first.seq, last.stream, last.seq],
    );
    const ranges = toRanges(
      keys.rows.map((r) => ({ stream: r.stream, seq: Number(r.seq), seqTo: Number(r.seq_to) })),
    );
    for (const item of purgeEvents({ purgeRunId, dataClass, batchNo: b.batch_no }, ranges))
      await deps.ledger.append(item.event, {
        stream: PURGE_EVENT_STREAM,
        idempotencyKey: item.idempotencyKey,
      });
  }
}

export interface PurgeClassInput {
  purgeRunId: string;
  dataClass: string;
  asOf: string;
  batchSize: number;
  cursor: unknown;
  /** Return after this long so the workflow records progress (default 20 s). */
  timeBudgetMs?: number;
  /** Return after this many batches (default: no limit but the time budget). */
  maxBatches?: number;
}

export interface PurgeClassOutput {
  dataClass: string;
  purged: number;
  batches: number;
  cursor: unknown;
  done: boolean;
}

/**
 * Purges one data class in batches (one transaction each) from `input.cursor` until done or out
 * of time budget. `onBatch` runs after every committed batch with the new key cursor (the
 * activity heartbeats it, so a retry resumes there); `betweenBatches` runs before the next one.
 * Batches are idempotent: deleted rows are gone and the database records each committed batch.
 */
export async function purgeDataClass(
  deps: PurgeDeps,
  input: PurgeClassInput,
  hooks: {
    onBatch?: (progress: { cursor: unknown; purged: number }) => void;
    betweenBatches?: () => Promise<void>;
  } = {},
): Promise<PurgeClassOutput> {
  let cursor = input.cursor ?? null;
  const until = Date.now() + (input.timeBudgetMs ?? 20_000);
  let purged = 0;
  let batches = 0;
  const pool = deps.purgerDb ?? deps.db;
  // A batch committed just before a crash may lack its event: chain the missing ones first.
  await recordPurgeEvents(deps, input.purgeRunId, input.dataClass);
  for (;;) {
    const r = await purgeBatch(pool, {
      purgeRunId: input.purgeRunId,
      dataClass: input.dataClass,
      asOf: input.asOf,
      limit: input.batchSize,
      cursor,
      viaSetRole: !deps.purgerDb,
    });
    purged += r.purged;
    deps.metrics?.purgedRows.inc({ data_class: input.dataClass }, r.purged);
    batches += 1;
    cursor = r.cursor ?? cursor;
    if (r.purged > 0 && r.batch_no !== undefined)
      await recordPurgeEvents(deps, input.purgeRunId, input.dataClass, r.batch_no);
    hooks.onBatch?.({ cursor, purged });
    if (r.done) return { dataClass: input.dataClass, purged, batches, cursor, done: true };
    await hooks.betweenBatches?.();
    if (Date.now() >= until || batches >= (input.maxBatches ?? Infinity))
      return { dataClass: input.dataClass, purged, batches, cursor, done: false };
  }
}
