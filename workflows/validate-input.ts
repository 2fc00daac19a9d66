import { ApplicationFailure } from '@temporalio/workflow';
import type { z } from 'zod';
import { describeZodError } from '../core/zod-issues';

/**
 * Validates workflow input inside the workflow. Bad input fails the workflow at once
 * (non-retryable) instead of failing workflow tasks forever. Clients validate first too.
 */
export function validateInput<S extends z.ZodTypeAny>(schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const detail = describeZodError(parsed.error);
  throw ApplicationFailure.create({
    type: 'InvalidInput',
    message: `invalid workflow input: ${detail}`,
    nonRetryable: true,
  });
}
