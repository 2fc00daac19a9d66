import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import type { RuleEvaluation } from './loan-rules';

/** Application ids are the workflow ids: a duplicate submission finds the existing workflow. */
export const ApplicationIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{3,64}$/, 'must be 3-64 letters, digits, "_" or "-"');

export const PrincipalIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._@-]{1,99}$/, 'must be 2-100 chars of a-z, 0-9, ".", "_", "@" or "-"');

export const PRINCIPAL_ROLES = ['admin', 'operator', 'reviewer'] as const;
export type PrincipalRole = (typeof PRINCIPAL_ROLES)[number];

/** A calendar date as YYYY-MM-DD between `min` and `max`, with one message per problem. */
const isoDate = (min: string, max: string) =>
  z.string().superRefine((v, ctx) => {
    const d = new Date(`${v}T00:00:00Z`);
    const ok =
      /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
    if (!ok) ctx.addIssue({ code: 'custom', message: 'must be a real date as YYYY-MM-DD' });
    else if (v < min || v > max)
      ctx.addIssue({ code: 'custom', message: `must be between ${min} and ${max}` });
  });

/**
 * The application file of `ledgerflow loan start --file`. Personal data (the applicant) is
 * stored in PostgreSQL only; the workflow gets the id and the non-personal fields.
 */
export const LoanApplicationFileSchema = z
  .object({
    applicationId: ApplicationIdSchema,
    applicant: z
      .object({
        fullName: z.string().trim().min(2, 'is required').max(200),
        dateOfBirth: isoDate('1900-01-01', '2010-12-31'),
        nationalId: z.string().regex(/^[A-Z0-9-]{4,32}$/, 'must be 4-32 chars of A-Z, 0-9 or "-"'),
        country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166 alpha-2 code, e.g. "DE"'),
        email: z.string().email('must be an email address').optional(),
      })
      .strict(),
    company: z
      .object({
        registrationNumber: z.string().regex(/^[A-Z0-9-]{4,32}$/, 'must be 4-32 chars of A-Z, 0-9 or "-"'),
        country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166 alpha-2 code'),
      })
      .strict(),
    loan: z
      .object({
        amount: z.number().positive('must be positive').max(10_000_000, 'must be at most 10,000,000'),
        currency: z.enum(['EUR', 'USD', 'GBP', 'CHF']),
        termMonths: z.number().int('must be a whole number').min(6).max(120),
        purpose: z.enum(['working_capital', 'equipment', 'real_estate', 'refinancing', 'other']),
      })
      .strict(),
  })
  .strict();
export type LoanApplicationFile = z.infer<typeof LoanApplicationFileSchema>;

/** Durations of the manual-review SLA, in milliseconds (short in tests, days in production). */
export const ReviewSlaSchema = z
  .object({
    escalateAfterMs: z.number().int().positive(),
    autoDeclineAfterMs: z.number().int().positive(),
  })
  .strict()
  .refine((s) => s.autoDeclineAfterMs > s.escalateAfterMs, {
    message: 'autoDeclineAfterMs must be after escalateAfterMs',
  });

/** Default provider retry policy: 1 s, 2 s, 4 s, … capped at 60 s, 10 attempts. */
export const DEFAULT_PROVIDER_RETRY = {
  initialIntervalMs: 1_000,
  maximumIntervalMs: 60_000,
  maximumAttempts: 10,
};

export const DEFAULT_REVIEW_SLA = { escalateAfterMs: 24 * 3600_000, autoDeclineAfterMs: 72 * 3600_000 };

/** Input of the `loanOrigination` workflow: ids and non-personal fields only. */
export const LoanWorkflowInputSchema = z
  .object({
    applicationId: ApplicationIdSchema,
    requestedBy: PrincipalIdSchema,
    companyRegistrationNumber: z.string().regex(/^[A-Z0-9-]{4,32}$/),
    amount: z.number().positive(),
    currency: z.string().length(3),
    termMonths: z.number().int().min(6).max(120),
    /** Ruleset version to decide with; default the current one, pinned at start. */
    ruleSetVersion: z.string().optional(),
    reviewSla: ReviewSlaSchema.optional(),
    /** Retry policy of provider calls (tests shorten it); exponential backoff, coefficient 2. */
    providerRetry: z
      .object({
        initialIntervalMs: z.number().int().positive(),
        maximumIntervalMs: z.number().int().positive(),
        maximumAttempts: z.number().int().positive(),
      })
      .partial()
      .strict()
      .optional(),
    /** Start the history archiver after close (default true). */
    archiveHistory: z.boolean().default(true),
  })
  .strict();
export type LoanWorkflowInput = z.input<typeof LoanWorkflowInputSchema>;

export type LoanStatus =
  | 'received'
  | 'enriching'
  | 'screening'
  | 'deciding'
  | 'awaiting_review'
  | 'escalated'
  | 'approved'
  | 'declined'
  | 'failed';

export const FINAL_STATUSES: ReadonlySet<LoanStatus> = new Set(['approved', 'declined', 'failed']);

/** Non-personal summary of the business registry record (the full record stays in PostgreSQL). */
export interface RegistrySummary {
  companyActive: boolean;
  companyAgeYears: number;
  annualRevenue: number;
  officerCount: number;
  recordDigest: string;
  recordVersion: number;
}

/** Non-personal summary of the credit report; `inquiryId` is needed for compensation. */
export interface CreditSummary {
  inquiryId: string;
  creditScore: number;
  activeDefaults: number;
  recordDigest: string;
  recordVersion: number;
}

export interface ScreeningSummary {
  engine: string;
  partiesScreened: number;
  hits: Array<{
    partyRole: 'applicant' | 'officer';
    partyIndex: number;
    listName: string;
    entryId: string;
    score: number;
  }>;
}

export interface ReviewDecision {
  reviewerId: string;
  decision: 'approve' | 'decline';
  reason: string;
}

export const ReviewDecisionSchema = z
  .object({
    reviewerId: PrincipalIdSchema,
    decision: z.enum(['approve', 'decline']),
    reason: z.string().trim().min(3, 'must say why (3+ characters)').max(1000),
  })
  .strict();

export interface FinalDecision {
  outcome: 'approved' | 'declined';
  decidedBy: { type: 'rules' | 'reviewer' | 'sla'; id: string };
  ruleId: string;
  ruleSetVersion: string;
  reason: string;
}

/** What the `loanState` query returns: the workflow's view, without personal data. */
export interface LoanState {
  applicationId: string;
  status: LoanStatus;
  steps: Array<{ step: string; at: string }>;
  registry?: RegistrySummary;
  credit?: CreditSummary;
  screening?: ScreeningSummary;
  rules?: RuleEvaluation;
  eligibleReviewers?: string[];
  reviewDueAt?: string;
  escalatedAt?: string;
  review?: ReviewDecision & { at: string };
  decision?: FinalDecision;
  compensations: Array<{ action: string; outcome: 'done' | 'failed'; detail?: string }>;
  error?: string;
}

export type LoanResult = Pick<LoanState, 'applicationId' | 'status' | 'decision' | 'compensations'>;

export const loanStateQuery = defineQuery<LoanState>('loanState');
/** A reviewer's decision; validated (eligible reviewer, decision, reason) before it is accepted. */
export const submitReviewUpdate = defineUpdate<LoanState, [ReviewDecision]>('submitReview');

export const LOAN_WORKFLOW_TYPE = 'loanOrigination';
export const ARCHIVER_WORKFLOW_TYPE = 'archiveWorkflowHistory';
/** Ledger stream of loan business events; provider call telemetry goes to its own stream. */
export const LOAN_STREAM = 'loan';
export const TELEMETRY_STREAM = 'telemetry';
export const PROVENANCE_STREAM = 'provenance';

/** Workflow id of the archiver of one closed run. */
export function archiverWorkflowId(workflowId: string, runId: string): string {
  return `history-archive:${workflowId}:${runId}`;
}
