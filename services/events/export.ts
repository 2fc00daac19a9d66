import { createHash } from 'node:crypto';
import type { CommittedEvent } from '../../core/audit-event';
import { headDigest, parseHead, type ParsedHead } from '../../core/ledger-head';
import { inclusionProofRanges } from '../../core/merkle';
import type { Signer } from '../../core/signing';
import { formatMicros } from '../../core/time';
import type { Database } from '../../db/client';
import type { BundleEvent } from '../../ledger/bundle';
import { DbTreeReader } from '../../ledger/checkpoint';
import {
  EXPORT_FORMAT,
  csvHeader,
  csvLine,
  eventLine,
  headLine,
  manifestLine,
  type ExportManifest,
} from '../../ledger/filtered-export';
import { hashRanges } from '../../ledger/proofs';
import { NotYetSignedError } from './proof';
import type { CursorPosition } from './cursor';
import type { EventFilter } from './filter';
import { searchSql } from './search-sql';
import type { EventRow } from './search';

/** Most events one export may hold. */
export const MAX_EXPORT_ROWS = 1_000_000;

/** Where export lines go: either or both of the JSONL export and its CSV view. */
export interface ExportSinks {
  jsonl?: (chunk: string) => void | Promise<void>;
  csv?: (chunk: string) => void | Promise<void>;
}

/** The signed head at `version`, or the latest; NotYetSignedError when there is none. */
async function headAt(db: Database, version?: number): Promise<ParsedHead> {
  const r = await db.$client.query<{ head: string }>(
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
  const head = await headAt(db, opts.headVersion);
  const headCut = head.streams.map((s) => ({ stream: s.stream, treeSize: s.treeSize }));
  const sizes = new Map(headCut.map((h) => [h.stream, h.treeSize]));
  const readers = new Map<string, DbTreeReader>();
  const eventsHash = createHash('sha256');
  const csvHash = createHash('sha256');
  await sinks.jsonl?.(headLine(head, opts.order));
  const header = csvHeader();
  csvHash.update(header);
  await sinks.csv?.(header);
  let count = 0;
  let after: CursorPosition | undefined;
  for (;;) {
    const page = Math.min(5000, opts.maxRows - count);
    if (page <= 0) break;
    const q = searchSql(opts.filter, { after, order: opts.order, limit: page, headCut });
    const rows = (await db.$client.query<EventRow>(q.text, q.values)).rows;
    for (const row of rows) {
      const e = toBundleEvent(row);
      const treeSize = sizes.get(e.stream) as number;
      let reader = readers.get(e.stream);
      if (!reader) readers.set(e.stream, (reader = new DbTreeReader(db, e.stream)));
      const proof = await hashRanges(reader, inclusionProofRanges(e.seq - 1, treeSize));
      const line = eventLine(
        e,
        proof.map((p) => p.toString('hex')),
        treeSize,
      );
      eventsHash.update(line);
      await sinks.jsonl?.(line);
      const csv = csvLine(e);
      csvHash.update(csv);
      await sinks.csv?.(csv);
      count++;
    }
    const last = rows.at(-1);
    if (!last || rows.length < page) break;
    after = { occurredUs: last.occurred_us, stream: last.stream, seq: Number(last.seq) };
  }
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
