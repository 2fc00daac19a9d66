import { z } from 'zod';
import { ApplicationIdSchema } from './loan';
import { nameTextProblem } from './name-text';

// Apart from core/loan.ts: the workflows import that module (ids, stream names) and each workflow
// run evaluates its modules anew, so a schema only the submit path parses does not belong there.

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
