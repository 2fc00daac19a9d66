import { z } from 'zod';

// The shape of a loan ruleset (core/loan-rules.ts). Apart from the rules themselves: the workflows
// import those, and each workflow run evaluates the modules it imports anew.

export const RuleConditionSchema = z
  .object({
    field: z.enum([
      'creditScore',
      'activeDefaults',
      'companyActive',
      'companyAgeYears',
      'amountToRevenue',
      'screeningHits',
    ]),
    op: z.enum(['lt', 'lte', 'gt', 'gte', 'eq']),
    value: z.union([z.number(), z.boolean()]),
  })
  .strict();

const RuleSchema = z
  .object({
    id: z.string().regex(/^R-[A-Z0-9-]+$/),
    outcome: z.enum(['approve', 'review', 'decline']),
    when: z.array(RuleConditionSchema).min(1),
    reason: z.string().min(3),
  })
  .strict();

export const RuleSetSchema = z
  .object({
    id: z.string(),
    version: z.string(),
    rules: z.array(RuleSchema),
    fallback: z.object({
      id: z.string(),
      outcome: z.enum(['approve', 'review', 'decline']),
      reason: z.string(),
    }),
  })
  .strict();
export type RuleSet = z.infer<typeof RuleSetSchema>;
export type RuleCondition = z.infer<typeof RuleConditionSchema>;
