import { sql } from 'drizzle-orm';
import {
  bigint,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
} from 'drizzle-orm/pg-core';

/**
 * Loan applications as submitted by `ledgerflow loan start`. Personal data (applicant name,
 * birth date, national id, officers) lives only here and in {@link loanEnrichments}, never in
 * Temporal's history: workflows carry the id and fetch it through activities.
 */
export const loanApplications = pgTable(
  'loan_applications',
  {
    id: text('id').primaryKey(),
    /** The personal part of the application file (applicant, company contact). Purgeable. */
    applicant: jsonb('applicant'),
    companyRegistrationNumber: text('company_registration_number').notNull(),
    amount: numeric('amount', { precision: 14, scale: 2 }).notNull(),
    currency: text('currency').notNull(),
    termMonths: integer('term_months').notNull(),
    purpose: text('purpose').notNull(),
    /** SHA-256 of the canonical application file: a duplicate submission must match it. */
    fileDigest: text('file_digest').notNull(),
    submittedBy: text('submitted_by').notNull(),
    status: text('status').notNull().default('submitted'),
    decision: text('decision'),
    decidedBy: text('decided_by'),
    workflowRunId: text('workflow_run_id'),
    createdAt: timestamp('created_at', { withTimezone: true, precision: 6 }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true, precision: 6 }).notNull().defaultNow(),
  },
  (t) => [index('loan_applications_status').on(t.status, t.createdAt)],
);

/** The standard enrichment record per application and source (registry, bureau), versioned. */
export const loanEnrichments = pgTable(
  'loan_enrichments',
  {
    applicationId: text('application_id').notNull(),
    source: text('source').notNull(),
    version: integer('version').notNull().default(1),
    record: jsonb('record').notNull(),
    recordDigest: text('record_digest').notNull(),
    provider: text('provider').notNull(),
    providerRef: text('provider_ref'),
    fetchedAt: timestamp('fetched_at', { withTimezone: true, precision: 6 }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.applicationId, t.source] })],
);

/**
 * Interim watch list used by the loan workflow's `screenParties` activity while the sanctions
 * engine (core/screening) is not yet usable. A few entries, loaded by the demo and tests.
 */
export const loanInterimWatchlist = pgTable('loan_interim_watchlist', {
  id: text('id').primaryKey(),
  listName: text('list_name').notNull(),
  name: text('name').notNull(),
  kind: text('kind').notNull(),
  country: text('country'),
  birthYear: integer('birth_year'),
});

/** Who may act through the CLI and API: operators start applications, reviewers decide them. */
export const principals = pgTable('principals', {
  id: text('id').primaryKey(),
  displayName: text('display_name').notNull(),
  roles: text('roles')
    .array()
    .notNull()
    .default(sql`'{}'::text[]`),
  createdBy: text('created_by').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, precision: 6 }).notNull().defaultNow(),
  /** Set when the principal is deactivated: it stays on record and may no longer act. */
  deactivatedAt: timestamp('deactivated_at', { withTimezone: true, precision: 6 }),
  deactivatedBy: text('deactivated_by'),
});

/**
 * Closed workflow histories (replayable JSON ending with the close event), archived so the
 * provenance of a decision outlives Temporal's namespace retention. The digest is sealed into
 * the ledger (`workflow.history_archived`). A retention data class.
 */
export const workflowHistories = pgTable(
  'workflow_histories',
  {
    workflowId: text('workflow_id').notNull(),
    runId: text('run_id').notNull(),
    workflowType: text('workflow_type').notNull(),
    status: text('status').notNull(),
    closedAt: timestamp('closed_at', { withTimezone: true, precision: 6 }),
    eventCount: integer('event_count').notNull(),
    /** historyToJSON() output, stored as text so the sealed bytes are exactly what was digested. */
    history: text('history').notNull(),
    digestSha256: text('digest_sha256').notNull(),
    ledgerStream: text('ledger_stream'),
    ledgerSeq: bigint('ledger_seq', { mode: 'number' }),
    archivedAt: timestamp('archived_at', { withTimezone: true, precision: 6 }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.workflowId, t.runId] }),
    index('workflow_histories_closed').on(t.closedAt),
  ],
);

export type LoanApplicationRow = typeof loanApplications.$inferSelect;
export type NewLoanApplicationRow = typeof loanApplications.$inferInsert;
export type LoanEnrichmentRow = typeof loanEnrichments.$inferSelect;
export type PrincipalRow = typeof principals.$inferSelect;
export type WorkflowHistoryRow = typeof workflowHistories.$inferSelect;
