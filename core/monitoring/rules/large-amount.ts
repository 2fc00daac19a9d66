import { z } from 'zod';
import { type RuleDefinition } from '../rule';

const Params = z.object({ reportingThreshold: z.number().positive() }).strict();

/** Amount band: the transaction is at or above the reporting threshold (weighs in typologies; never alerts alone by default). */
export const largeAmount: RuleDefinition<z.infer<typeof Params>> = {
  id: 'large_amount',
  codeVersion: 1,
  question: 'Is the amount at or above the reporting threshold?',
  params: Params,
  defaults: { reportingThreshold: 10_000 },
  evaluate({ tx }, p) {
    return {
      value: tx.value,
      threshold: p.reportingThreshold,
      result: tx.value >= p.reportingThreshold,
      evidence: [tx.transaction_id],
      windowStart: tx.at,
    };
  },
};
