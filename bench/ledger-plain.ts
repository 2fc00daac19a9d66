import { randomBytes } from 'node:crypto';
import type { BenchEvent } from './fixtures/events';

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

/** The plain baseline's multi-row INSERT: both tables in one statement, as the ledger writes them. */
export const PLAIN_INSERT = `WITH ev AS (
  INSERT INTO bench_plain_events (stream, seq, event_id, event_type, actor_type, actor_id, occurred_at,
    resource_type, resource_id, action, outcome, subject_id, case_id, context, schema_version,
    idempotency_key, payload_digest, prev_hash, hash)
  SELECT $1, u.* FROM unnest($2::bigint[], $3::uuid[], $4::text[], $5::text[], $6::text[],
    array_fill($7::timestamptz, ARRAY[cardinality($2::bigint[])]),
    $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::jsonb[], $15::int[],
    $16::text[], $17::bytea[], $18::bytea[], $19::bytea[]) AS u
  RETURNING 1)
INSERT INTO bench_plain_payloads (stream, seq, salt, payload)
SELECT $1, s, salt, payload FROM unnest($2::bigint[], $20::bytea[], $21::jsonb[]) AS p(s, salt, payload)`;
