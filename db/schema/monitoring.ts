import { sql } from 'drizzle-orm';
import {
  bigint,
  index,
  integer,
  jsonb,
  pgTable,
  real,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

/**
 * Monitored transactions (retention data class `transactions`): one row per transaction_id,
 * insert-only. `status`: `evaluated` (went through the rules) or `late` (beyond the allowed
 * lateness: recorded, not evaluated). `content_hash` detects a re-used id with other content.
 */
export const monitoringTransactions = pgTable(
  'monitoring_transactions',
  {
    transactionId: text('transaction_id').primaryKey(),
    accountId: text('account_id').notNull(),
    counterpartyId: text('counterparty_id').notNull(),
    channel: text('channel').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true, precision: 3 }).notNull(),
    contentHash: text('content_hash').notNull(),
    data: jsonb('data').notNull(),
    status: text('status').notNull(),
    ingestedAt: timestamp('ingested_at', { withTimezone: true, precision: 6 }).notNull().defaultNow(),
  },
  (t) => [
    index('monitoring_transactions_account_time').on(t.accountId, t.occurredAt),
    index('monitoring_transactions_time').on(t.occurredAt),
  ],
);

/** Rejected input lines (bad input, an id re-used with other content): the reason, never the line. */
export const monitoringRejections = pgTable(
  'monitoring_rejections',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    source: text('source').notNull(),
    line: integer('line').notNull(),
    transactionId: text('transaction_id'),
    reason: text('reason').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 6 }).notNull().defaultNow(),
  },
  (t) => [index('monitoring_rejections_created').on(t.createdAt)],
);

/**
 * Alerts with their whole trace (retention data class `alerts`), insert-only. `mode`: `live`
 * (raised, recorded in the ledger) or `shadow` (a shadow rule version's alert: recorded, not raised).
 */
export const monitoringAlerts = pgTable(
  'monitoring_alerts',
  {
    alertId: uuid('alert_id').primaryKey(),
    accountId: text('account_id').notNull(),
    typology: text('typology').notNull(),
    score: real('score').notNull(),
    decision: text('decision').notNull(),
    mode: text('mode').notNull(),
    ruleSetVersion: integer('rule_set_version').notNull(),
    triggerTransactionId: text('trigger_transaction_id').notNull(),
    transactionIds: text('transaction_ids').array().notNull(),
    firedRules: text('fired_rules').array().notNull(),
    rules: jsonb('rules').notNull(),
    snapshot: jsonb('snapshot').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 6 }).notNull().defaultNow(),
    ledgerSeq: bigint('ledger_seq', { mode: 'number' }),
  },
  (t) => [
    index('monitoring_alerts_account').on(t.accountId, t.createdAt),
    index('monitoring_alerts_list').on(t.mode, t.createdAt, t.alertId),
    index('monitoring_alerts_fired').using('gin', t.firedRules),
  ],
);

/** Rule-set versions (config as JSON). Exactly one is `live`; `shadow` ones run alongside; `retired` do not run. */
export const monitoringRuleVersions = pgTable(
  'monitoring_rule_versions',
  {
    version: integer('version').primaryKey(),
    config: jsonb('config').notNull(),
    mode: text('mode').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 6 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 6 }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('monitoring_rule_versions_one_live')
      .on(t.mode)
      .where(sql`mode = 'live'`),
  ],
);

/**
 * Per account: `version` changes whenever its stored transactions or alerts change (ingest bumps
 * it; a delete trigger on transactions and alerts, i.e. a purge, too), `watermark` is the latest
 * evaluated event time. A worker's cached account state is valid while the version is unchanged.
 */
export const monitoringAccountMarks = pgTable('monitoring_account_marks', {
  accountId: text('account_id').primaryKey(),
  version: bigint('version', { mode: 'number' }).notNull(),
  watermark: timestamp('watermark', { withTimezone: true, precision: 3 }),
});

export type MonitoringAlertRow = typeof monitoringAlerts.$inferSelect;
