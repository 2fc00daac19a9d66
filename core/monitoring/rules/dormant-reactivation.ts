import { z } from 'zod';
import { HOUR, historySince, round2, type RuleDefinition } from '../rule';

const Params = z
  .object({
    minIdleDays: z.number().positive(),
    medianMultiple: z.number().positive(),
    medianDays: z.number().positive(),
  })
  .strict();

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Dormant reactivation: after days without activity, a debit far above the account's median amount. */
export const dormantReactivation: RuleDefinition<z.infer<typeof Params>> = {
  id: 'dormant_reactivation',
  codeVersion: 1,
  question: 'Is this a large debit right after the account was dormant?',
  params: Params,
  defaults: { minIdleDays: 5, medianMultiple: 20, medianDays: 180 },
  evaluate(input, p) {
    const { tx, lastActivityAt } = input;
    const windowStart = tx.at - p.medianDays * 24 * HOUR;
    const idleDays = lastActivityAt === null ? null : round2((tx.at - lastActivityAt) / (24 * HOUR));
    // The median is only needed for a debit after the idle period.
    const idle = tx.direction === 'debit' && idleDays !== null && idleDays >= p.minIdleDays;
    const prior = idle ? historySince(input, windowStart) : [];
    const med = idle ? median(prior.map((t) => t.value)) : null;
    const multiple = med ? round2(tx.value / med) : null;
    return {
      value: { idle_days: idleDays, amount_over_median: multiple, median: med },
      threshold: { idle_days: p.minIdleDays, amount_over_median: p.medianMultiple },
      result: idle && med !== null && tx.value > med * p.medianMultiple,
      evidence: [...prior.slice(-1).map((t) => t.transaction_id), tx.transaction_id],
      windowStart,
    };
  },
};
