import { z } from 'zod';
import { HOUR, inWindow, type RuleDefinition } from '../rule';

const Params = z
  .object({
    reportingThreshold: z.number().positive(),
    minShare: z.number().min(0).max(1),
    maxShare: z.number().min(0).max(1),
    minCount: z.number().int().positive(),
    windowHours: z.number().positive(),
  })
  .strict();

/** Structuring: several cash credits each just below the reporting threshold within a short window. */
export const structuring: RuleDefinition<z.infer<typeof Params>> = {
  id: 'structuring',
  codeVersion: 1,
  question: 'Did the account receive several cash credits just below the reporting threshold?',
  params: Params,
  defaults: { reportingThreshold: 10_000, minShare: 0.8, maxShare: 0.99, minCount: 3, windowHours: 48 },
  evaluate(input, p) {
    const lo = p.reportingThreshold * p.minShare;
    const hi = p.reportingThreshold * p.maxShare;
    const hits = inWindow(
      input,
      p.windowHours,
      (t) => t.channel === 'cash' && t.direction === 'credit' && t.value >= lo && t.value <= hi,
    );
    const isHit = hits.some((t) => t.transaction_id === input.tx.transaction_id);
    return {
      value: hits.length,
      threshold: p.minCount,
      result: isHit && hits.length >= p.minCount,
      evidence: hits.map((t) => t.transaction_id),
      windowStart: input.tx.at - p.windowHours * HOUR,
    };
  },
};
