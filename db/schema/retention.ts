import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  integer,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';
import { bytea } from './types';

/**
 * Registered retention data classes (adapters): which table holds the class, its key, the
 * timestamp column of each retention trigger and the columns that legal-hold scopes match.
 * `ledger_payloads` is built in (payload + salt only, joined to its event for scopes). Rows are
 * written by migrations only (the owner): the SECURITY DEFINER purge function builds SQL from them.
 */
export const retentionDataClasses = pgTable('retention_data_classes', {
  dataClass: text('data_class').primaryKey(),
  tableName: text('table_name').notNull(),
  keyColumns: text('key_columns').array().notNull(),
  createdColumn: text('created_column'),
  closedColumn: text('closed_column'),
  lastActivityColumn: text('last_activity_column'),
  subjectColumn: text('subject_column'),
  caseColumn: text('case_column'),
  resourceType: text('resource_type'),
  resourceIdColumn: text('resource_id_column'),
  /** `purge_payload` (ledger: payload + salt, never the event) or `delete` (whole rows). */
  action: text('action').notNull(),
  description: text('description').notNull(),
});

/**
 * Retention policies, versioned and append-only: a change is a new version. A locked policy's
 * next version may only extend it (trigger `retention_policy_guard`); every change is also a
 * `retention.policy_changed` ledger event.
 */
export const retentionPolicies = pgTable(
  'retention_policies',
  {
    policyId: text('policy_id').notNull(),
    version: integer('version').notNull(),
    dataClasses: text('data_classes').array().notNull(),
    periodSeconds: bigint('period_seconds', { mode: 'number' }).notNull(),
    /** ISO 8601 duration as written in the config, for display. */
    period: text('period').notNull(),
    trigger: text('trigger').notNull(),
    action: text('action').notNull(),
    locked: boolean('locked').notNull().default(false),
    legalMinimumSeconds: bigint('legal_minimum_seconds', { mode: 'number' }).notNull().default(0),
    retired: boolean('retired').notNull().default(false),
    changedBy: text('changed_by').notNull(),
    reason: text('reason').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 6 }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.policyId, t.version] })],
);

/** Legal holds: no expiry; active until a release row exists. Append-only. */
export const legalHolds = pgTable(
  'legal_holds',
  {
    holdId: uuid('hold_id').primaryKey(),
    /** subject | resource | case | data_class */
    scope: text('scope').notNull(),
    /** Resource type for `resource` scopes, else null. */
    scopeType: text('scope_type'),
    scopeValue: text('scope_value').notNull(),
    caseId: text('case_id').notNull(),
    reason: text('reason').notNull(),
    placedBy: text('placed_by').notNull(),
    placedAt: timestamp('placed_at', { withTimezone: true, precision: 6 }).notNull().defaultNow(),
  },
  (t) => [index('legal_holds_scope').on(t.scope, t.scopeValue)],
);

/** Release of a hold, by a different principal than the one who placed it (four-eyes, in the DB). */
export const legalHoldReleases = pgTable('legal_hold_releases', {
  holdId: uuid('hold_id')
    .primaryKey()
    .references(() => legalHolds.holdId),
  releasedBy: text('released_by').notNull(),
  reason: text('reason').notNull(),
  releasedAt: timestamp('released_at', { withTimezone: true, precision: 6 }).notNull().defaultNow(),
});

/**
 * One row per committed purge batch, written by the purge function in the same transaction as
 * the deletions: what a run deleted (count, key and time ranges, digest) survives a crash.
 */
export const retentionPurgeBatches = pgTable(
  'retention_purge_batches',
  {
    purgeRunId: text('purge_run_id').notNull(),
    dataClass: text('data_class').notNull(),
    batchNo: integer('batch_no').notNull(),
    purged: integer('purged').notNull(),
    heldSkipped: integer('held_skipped').notNull().default(0),
    firstKey: text('first_key'),
    lastKey: text('last_key'),
    minTs: timestamp('min_ts', { withTimezone: true, precision: 6 }),
    maxTs: timestamp('max_ts', { withTimezone: true, precision: 6 }),
    /** The batch digest over every deleted item in key order; its format is `digestVersion`. */
    digest: bytea('digest'),
    /**
     * Format of `digest` (docs/retention.md "Purge digests"): 1 = SHA-256 over "<key> <content
     * sha256 hex>\n" per item (ledger payloads; business rows before migration 0035, content =
     * the row's text form); 2 = SHA-256 over the items' 32-byte SHA-256 of their binary record
     * form (business rows since 0035).
     */
    digestVersion: smallint('digest_version').notNull().default(1),
    asOf: timestamp('as_of', { withTimezone: true, precision: 6 }).notNull(),
    policyVersions: text('policy_versions').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 6 })
      .notNull()
      .default(sql`clock_timestamp()`),
  },
  (t) => [primaryKey({ columns: [t.purgeRunId, t.dataClass, t.batchNo] })],
);

export type RetentionPolicyRow = typeof retentionPolicies.$inferSelect;
export type LegalHoldRow = typeof legalHolds.$inferSelect;
export type LegalHoldReleaseRow = typeof legalHoldReleases.$inferSelect;
export type RetentionPurgeBatchRow = typeof retentionPurgeBatches.$inferSelect;
