import { z } from 'zod';
import { nameTextProblem } from './name-text';

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
        fullName: z
          .string()
          .trim()
          .min(2, 'is required')
          .max(200)
          // eslint-disable-next-line no-control-regex -- control characters are what this rejects
          .regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters')
          .superRefine((v, ctx) => {
            const problem = nameTextProblem(v);
            if (problem) ctx.addIssue({ code: 'custom', message: problem });
          }),
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

export const ARCHIVER_WORKFLOW_TYPE = 'archiveWorkflowHistory';
/** Ledger stream of loan business events; provider call telemetry goes to its own stream. */
export const LOAN_STREAM = 'loan';
export const TELEMETRY_STREAM = 'telemetry';
export const PROVENANCE_STREAM = 'provenance';

/** Workflow id of the archiver of one closed run. */
export function archiverWorkflowId(workflowId: string, runId: string): string {
  return `history-archive:${workflowId}:${runId}`;
}

/** Workflow id of the batch history archiver of one task queue (one per queue: its worker runs it). */
export function batchArchiverWorkflowId(taskQueue: string): string {
  return `history-archiver:${taskQueue}`;
}
