import { randomBytes } from 'node:crypto';
import type { BenchEvent } from './fixtures/events';
import { INSERT_SQL } from '../ledger/append';

/**
 * Column arrays of bench (a)/(b)'s plain baseline for `events` at seqs `firstSeq..`, built
 * outside the timed section: the same rows as the ledger writes (incl. the idempotency keys the
 * ledger side is given), with random bytes where the ledger has digests, hashes and salts.
 */
export function plainColumns(stream: string, events: BenchEvent[], keys: string[], firstSeq: number) {
  const n = events.length;
  const now = new Date().toISOString();
  return [
    stream,
    events.map((_, i) => firstSeq + i),
    events.map((e) => e.event_id),
    events.map((e) => e.event_type),
    events.map((e) => e.actor.type),
    events.map((e) => e.actor.id),
    now,
    events.map((e) => e.resource.type),
    events.map((e) => e.resource.id),
    events.map((e) => e.action),
    events.map((e) => e.outcome),
    events.map((e) => e.subject_id),
    events.map((e) => e.case_id),
    events.map((e) => JSON.stringify(e.context)),
    events.map(() => 1),
    keys,
    Array.from({ length: n }, () => randomBytes(32)),
    Array.from({ length: n }, () => randomBytes(32)),
    Array.from({ length: n }, () => randomBytes(32)),
    Array.from({ length: n }, () => randomBytes(16)),
    events.map((e) => JSON.stringify(e.payload)),
  ];
}

/** The plain baseline's multi-row INSERT: the ledger's own statement, on the plain copies of its tables. */
export const PLAIN_INSERT = INSERT_SQL.replace(/\bledger_events\b/g, 'bench_plain_events').replace(
  /\bledger_payloads\b/g,
  'bench_plain_payloads',
);
