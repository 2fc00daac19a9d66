import { sql } from 'drizzle-orm';
import {
  bigint,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  real,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';

/**
 * One loaded version of a sanctions list, identified by the SHA-256 of its files. `status`:
 * `active` (the one screenings use), `superseded`, `pending_confirmation` (dropped too many
 * entries; needs `lists load --confirm`), `rejected`.
 */
export const screeningListVersions = pgTable(
  'screening_list_versions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    source: text('source').notNull(),
    contentHash: text('content_hash').notNull(),
    origin: text('origin').notNull(),
    etag: text('etag'),
    entryCount: integer('entry_count').notNull(),
    added: integer('added').notNull().default(0),
    changed: integer('changed').notNull().default(0),
    removed: integer('removed').notNull().default(0),
    issueCount: integer('issue_count').notNull().default(0),
    issues: jsonb('issues')
      .notNull()
      .default(sql`'[]'::jsonb`),
    publishedAt: text('published_at'),
    status: text('status').notNull(),
    loadedAt: timestamp('loaded_at', { withTimezone: true, precision: 6 }).notNull().defaultNow(),
    activatedAt: timestamp('activated_at', { withTimezone: true, precision: 6 }),
    ledgerSeq: bigint('ledger_seq', { mode: 'number' }),
  },
  (t) => [
    unique('screening_list_versions_source_hash').on(t.source, t.contentHash),
    index('screening_list_versions_source_status').on(t.source, t.status),
  ],
);

/** The entries of a list version (parsed, format-independent), with a hash per entry to detect changes. */
export const screeningListEntries = pgTable(
  'screening_list_entries',
  {
    versionId: uuid('version_id').notNull(),
    source: text('source').notNull(),
    entryId: text('entry_id').notNull(),
    entryHash: text('entry_hash').notNull(),
    data: jsonb('data').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.versionId, t.entryId] }),
    index('screening_list_entries_source_entry').on(t.source, t.entryId),
  ],
);

/** Screening results: personal data (the screened name, the hits), retention data class `screening_results`. */
export const screeningResults = pgTable(
  'screening_results',
  {
    id: uuid('id').primaryKey(),
    batchId: text('batch_id'),
    rowNumber: integer('row_number'),
    subjectId: text('subject_id'),
    query: jsonb('query').notNull(),
    decision: text('decision').notNull(),
    topScore: real('top_score'),
    hits: jsonb('hits').notNull(),
    listVersions: jsonb('list_versions').notNull(),
    matcherVersion: text('matcher_version').notNull(),
    thresholds: jsonb('thresholds').notNull(),
    screenedAt: timestamp('screened_at', { withTimezone: true, precision: 6 }).notNull().defaultNow(),
    ledgerSeq: bigint('ledger_seq', { mode: 'number' }),
  },
  (t) => [
    index('screening_results_batch').on(t.batchId, t.rowNumber),
    index('screening_results_subject')
      .on(t.subjectId)
      .where(sql`subject_id IS NOT NULL`),
    index('screening_results_screened_at').on(t.screenedAt),
  ],
);

/**
 * False-positive exceptions: a reviewer says this subject is not this list entry. Honoured while
 * the entry's hash is unchanged; a changed entry screens again. Append-only (revocation is a new row).
 */
export const screeningExceptions = pgTable(
  'screening_exceptions',
  {
    id: uuid('id').primaryKey(),
    subjectKey: text('subject_key').notNull(),
    source: text('source').notNull(),
    entryId: text('entry_id').notNull(),
    entryHash: text('entry_hash').notNull(),
    reason: text('reason').notNull(),
    reviewer: text('reviewer').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 6 }).notNull().defaultNow(),
    ledgerSeq: bigint('ledger_seq', { mode: 'number' }),
  },
  (t) => [index('screening_exceptions_subject').on(t.subjectKey, t.source, t.entryId)],
);

/** Operational alerts of list ingestion: failed downloads, held versions. */
export const screeningAlerts = pgTable(
  'screening_alerts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    source: text('source').notNull(),
    kind: text('kind').notNull(),
    message: text('message').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 6 }).notNull().defaultNow(),
    resolvedAt: timestamp('resolved_at', { withTimezone: true, precision: 6 }),
  },
  (t) => [
    index('screening_alerts_open')
      .on(t.source)
      .where(sql`resolved_at IS NULL`),
  ],
);

export type ScreeningListVersionRow = typeof screeningListVersions.$inferSelect;
export type ScreeningResultRow = typeof screeningResults.$inferSelect;
