import { sql } from 'drizzle-orm';
import {
  bigint,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import { bytea } from './types';

/**
 * The append-only, hash-chained audit ledger. Every column here is hash-committed and
 * permanent; personal data lives only in {@link ledgerPayloads}. Rows are written by
 * `appendAuditEvent` and never updated or deleted (enforced by triggers and grants).
 */
export const ledgerEvents = pgTable(
  'ledger_events',
  {
    stream: text('stream').notNull(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    eventId: uuid('event_id').notNull(),
    eventType: text('event_type').notNull(),
    actorType: text('actor_type').notNull(),
    actorId: text('actor_id').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true, precision: 6 }).notNull(),
    resourceType: text('resource_type').notNull(),
    resourceId: text('resource_id').notNull(),
    action: text('action').notNull(),
    outcome: text('outcome').notNull(),
    subjectId: text('subject_id'),
    caseId: text('case_id'),
    context: jsonb('context').notNull(),
    schemaVersion: integer('schema_version').notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    payloadDigest: bytea('payload_digest').notNull(),
    prevHash: bytea('prev_hash').notNull(),
    hash: bytea('hash').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.stream, t.seq] }),
    unique('ledger_events_idempotency').on(t.stream, t.idempotencyKey),
    unique('ledger_events_event_id').on(t.eventId),
    index('ledger_events_subject')
      .on(t.subjectId)
      .where(sql`subject_id IS NOT NULL`),
    index('ledger_events_case')
      .on(t.caseId)
      .where(sql`case_id IS NOT NULL`),
  ],
);

/** Payloads with their salts, beside the chain. A purge deletes both; the event's digest stays. */
export const ledgerPayloads = pgTable(
  'ledger_payloads',
  {
    stream: text('stream').notNull(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    salt: bytea('salt').notNull(),
    payload: jsonb('payload').notNull(),
  },
  (t) => [primaryKey({ columns: [t.stream, t.seq] })],
);

/**
 * Purge records: proves a gap is a sanctioned purge, not tampering. One row covers the payloads
 * `seq`..`seq_to` of a stream (a retention batch writes one row per run of consecutive purged
 * seqs); `seq_to` NULL (rows written before ranges, or by hand) covers `seq` alone.
 */
export const ledgerPayloadPurges = pgTable(
  'ledger_payload_purges',
  {
    stream: text('stream').notNull(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    seqTo: bigint('seq_to', { mode: 'number' }),
    purgedAt: timestamp('purged_at', { withTimezone: true, precision: 6 }).notNull().defaultNow(),
    purgeRunId: text('purge_run_id').notNull(),
    reason: text('reason').notNull(),
  },
  (t) => [primaryKey({ columns: [t.stream, t.seq] })],
);

export type LedgerEventRow = typeof ledgerEvents.$inferSelect;
export type NewLedgerEventRow = typeof ledgerEvents.$inferInsert;
