import { z } from 'zod';
import { HOUR, inWindow, type RuleDefinition } from '../rule';
import { isExactThousands } from '../transaction';

const Params = z
  .object({ minCount: z.number().int().positive(), windowHours: z.number().positive() })
  .strict();

/** Round-amount burst: several transfers of exact thousands within a day. */
export const roundAmountBurst: RuleDefinition<z.infer<typeof Params>> = {
  id: 'round_amount_burst',
  codeVersion: 1,
  question: 'Did the account make several transfers of exact thousands in a short window?',
  params: Params,
  defaults: { minCount: 5, windowHours: 24 },
  evaluate(input, p) {
    const round = (t: { channel: string; amount: string }) =>
      t.channel === 'transfer' && isExactThousands(t.amount);
    const hits = inWindow(input, p.windowHours, round);
    return {
      value: hits.length,
      threshold: p.minCount,
      result: round(input.tx) && hits.length >= p.minCount,
      evidence: hits.map((t) => t.transaction_id),
      windowStart: input.tx.at - p.windowHours * HOUR,
    };
  },
};
