import { createHash } from 'node:crypto';
import type { CommittedEvent } from '../../core/audit-event';
import { headDigest, parseHead, type ParsedHead } from '../../core/ledger-head';
import type { Signer } from '../../core/signing';
import { formatMicros } from '../../core/time';
import type { Database } from '../../db/client';
import type { BundleEvent } from '../../ledger/bundle';
import {
  EXPORT_FORMAT,
  csvHeader,
  csvLine,
  eventLine,
  headLine,
  manifestLine,
  type ExportManifest,
} from '../../ledger/filtered-export';
import type { PoolClient } from 'pg';
import { loadProofInputs, StreamProofs } from './tile-proofs';
import { NotYetSignedError } from './proof';
import type { EventFilter } from './filter';
import { exportSql } from './search-sql';
import type { EventRow } from './search';

/** Most events one export may hold. */
export const MAX_EXPORT_ROWS = 1_000_000;

/** Where export lines go: either or both of the JSONL export and its CSV view. */
export interface ExportSinks {
  jsonl?: (chunk: string) => void | Promise<void>;
  csv?: (chunk: string) => void | Promise<void>;
}

/** The signed head at `version`, or the latest; NotYetSignedError when there is none. */
async function headAt(db: Pick<PoolClient, 'query'>, version?: number): Promise<ParsedHead> {
  const r = await db.query<{ head: string }>(
    version === undefined
      ? 'SELECT head FROM ledger_heads ORDER BY version DESC LIMIT 1'
      : 'SELECT head FROM ledger_heads WHERE version = $1',
    version === undefined ? [] : [version],
  );
  if (!r.rows[0])
    throw new NotYetSignedError(
      version === undefined
        ? 'no signed ledger head yet: nothing can be exported with proofs (run "ledgerflow ledger checkpoint")'
        : `no signed ledger head version ${version}`,
    );
  return parseHead(r.rows[0].head);
}

function toBundleEvent(row: EventRow): BundleEvent {
  const event: CommittedEvent & Record<string, unknown> = {
    stream: row.stream,
    seq: Number(row.seq),
    event_id: row.event_id,
    event_type: row.event_type,
    actor: { type: row.actor_type, id: row.actor_id },
    occurred_at: formatMicros(row.occurred_us),
    resource: { type: row.resource_type, id: row.resource_id },
    action: row.action,
    outcome: row.outcome,
    subject_id: row.subject_id,
    case_id: row.case_id,
    context: row.context,
    schema_version: row.schema_version,
    idempotency_key: row.idempotency_key,
  } as CommittedEvent & Record<string, unknown>;
  return {
    ...event,
    payload_digest: row.payload_digest,
    prev_hash: row.prev_hash,
    hash: row.hash,
    payload: row.payload ?? null,
    payload_salt: (row.payload ?? null) ? (row.payload_salt ?? null) : null,
    payload_purged: row.purged,
  } as BundleEvent;
}

/**
 * Writes the events matching `filter` under one signed ledger head (the latest, or
 * `headVersion`) as a filtered export (ledger/filtered-export.ts): the head line, each event with
 * its inclusion proof, then the signed manifest; and/or the CSV view. Returns the manifest.
 */
export async function exportEvents(
  db: Database,
  opts: {
    filter: EventFilter;
    order: 'asc' | 'desc';
    maxRows: number;
    headVersion?: number;
    exportedBy: string;
    signer: Signer;
  },
  sinks: ExportSinks,
): Promise<ExportManifest> {
  // One snapshot for the head, the rows and the tiles; one statement read through a cursor.
  const client = await db.$client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const manifest = await writeExport(client, opts, sinks);
    await client.query('COMMIT');
    return manifest;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** Rows fetched from the export cursor at a time (their proofs' tiles are loaded together). */
const FETCH_ROWS = 5000;

async function writeExport(
  client: PoolClient,
  opts: Parameters<typeof exportEvents>[1],
  sinks: ExportSinks,
): Promise<ExportManifest> {
  const head = await headAt(client, opts.headVersion);
  const headCut = head.streams.map((s) => ({ stream: s.stream, treeSize: s.treeSize }));
  const sizes = new Map(headCut.map((h) => [h.stream, h.treeSize]));
  const trees = new Map<string, StreamProofs>();
  const eventsHash = createHash('sha256');
  const csvHash = createHash('sha256');
  await sinks.jsonl?.(headLine(head, opts.order));
  const header = csvHeader();
  csvHash.update(header);
  await sinks.csv?.(header);
  const q = exportSql(opts.filter, { order: opts.order, limit: opts.maxRows, headCut });
  await client.query(`DECLARE export_rows NO SCROLL CURSOR FOR ${q.text}`, q.values);
  let count = 0;
  for (;;) {
    const rows = (await client.query<EventRow>(`FETCH ${FETCH_ROWS} FROM export_rows`)).rows;
    await loadProofInputs(client, proofNeeds(rows, sizes, trees));
    let jsonl = '';
    let csv = '';
    for (const row of rows) {
      const e = toBundleEvent(row);
      const tree = trees.get(e.stream) as StreamProofs;
      const line = eventLine(e, tree.proof(e.seq), tree.treeSize);
      eventsHash.update(line);
      jsonl += line;
      const c = csvLine(e);
      csvHash.update(c);
      csv += c;
      count++;
    }
    if (jsonl) await sinks.jsonl?.(jsonl);
    if (csv) await sinks.csv?.(csv);
    if (rows.length < FETCH_ROWS) break;
  }
  await client.query('CLOSE export_rows');
  const manifest: ExportManifest = {
    format: EXPORT_FORMAT,
    created_at: new Date().toISOString(),
    exported_by: opts.exportedBy,
    filter: opts.filter,
    order: opts.order,
    count,
    events_sha256: eventsHash.digest('hex'),
    csv_sha256: csvHash.digest('hex'),
    head_version: head.version,
    head_sha256: headDigest(head.body),
  };
  await sinks.jsonl?.(manifestLine(manifest, opts.signer));
  return manifest;
}

/** The events of a page by stream, with the proof builder of each stream (made on first sight). */
function proofNeeds(
  rows: EventRow[],
  sizes: Map<string, number>,
  trees: Map<string, StreamProofs>,
): Array<{ proofs: StreamProofs; seqs: number[] }> {
  const need = new Map<string, { proofs: StreamProofs; seqs: number[] }>();
  for (const row of rows) {
    let n = need.get(row.stream);
    if (!n) {
      let proofs = trees.get(row.stream);
      if (!proofs)
        trees.set(row.stream, (proofs = new StreamProofs(row.stream, sizes.get(row.stream) as number)));
      need.set(row.stream, (n = { proofs, seqs: [] }));
    }
    n.seqs.push(Number(row.seq));
  }
  return [...need.values()];
}
