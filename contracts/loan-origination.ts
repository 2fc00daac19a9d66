import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import { ApplicationIdSchema, PrincipalIdSchema } from '../core/loan';
import type { RuleEvaluation } from '../core/loan-rules';
import { workflowRef } from './workflow-ref';

/**
 * Contract of the `loanOrigination` workflow: its input and result, the activities' result
 * types it keeps in its state, its query and update, and the failure types its activities raise.
 */

/**
 * Failure types of the loan activities (ApplicationFailure `type`). The non-retryable ones are
 * listed in {@link LOAN_NON_RETRYABLE_FAILURES}, which the workflow's provider retry policy uses.
 */
export const LoanFailure = {
  /** Network error, timeout or 5xx: retried. */
  ProviderUnavailable: 'ProviderUnavailable',
  /** 429: retried after the provider's Retry-After. */
  ProviderRateLimited: 'ProviderRateLimited',
  /** Another 4xx: the request itself is wrong. */
  ProviderRejected: 'ProviderRejected',
  /** The body does not match the provider contract. */
  ProviderMalformedResponse: 'ProviderMalformedResponse',
  /** The application's personal data is missing or purged. */
  ApplicantDataMissing: 'ApplicantDataMissing',
  /** The worker was started without provider endpoints. */
  ProvidersNotConfigured: 'ProvidersNotConfigured',
  /** The sanctions engine refused a party's data. */
  ScreeningInputRejected: 'ScreeningInputRejected',
  /** The workflow's own failure after compensations ran. */
  LoanOriginationFailed: 'LoanOriginationFailed',
} as const;
export type LoanFailureType = (typeof LoanFailure)[keyof typeof LoanFailure];

/** Failure types the provider activities must not retry (order kept: it is part of the scheduled command). */
export const LOAN_NON_RETRYABLE_FAILURES: LoanFailureType[] = [
  LoanFailure.ProviderRejected,
  LoanFailure.ProviderMalformedResponse,
  LoanFailure.ApplicantDataMissing,
];

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

export type LoanOriginationWorkflow = (input: LoanWorkflowInput) => Promise<LoanResult>;
/** Typed reference for starting `loanOrigination` (workflow id = application id). */
export const loanOriginationWorkflow = workflowRef<LoanOriginationWorkflow>('loanOrigination');
