import { z } from 'zod';
import { HOUR, historySince, inWindow, round2, type RuleDefinition } from '../rule';

const Params = z
  .object({
    minCount: z.number().int().positive(),
    windowHours: z.number().positive(),
    baselineMultiple: z.number().positive(),
    baselineDays: z.number().positive(),
    perCounterparty: z.boolean(),
  })
  .strict();

/**
 * The account's hourly baseline: mean debits per active hour (an hour with at least one debit)
 * over the given history before `to` (the current window). Zero without history.
 */
function hourlyBaseline(history: readonly { at: number; direction: string }[], to: number) {
  const hours = new Map<number, number>();
  for (const t of history)
    if (t.direction === 'debit' && t.at < to) {
      const h = Math.floor(t.at / HOUR);
      hours.set(h, (hours.get(h) ?? 0) + 1);
    }
  if (hours.size === 0) return 0;
  let sum = 0;
  for (const n of hours.values()) sum += n;
  return sum / hours.size;
}

/** Velocity: many debits within an hour, far above the account's own hourly baseline. */
export const velocity: RuleDefinition<z.infer<typeof Params>> = {
  id: 'velocity',
  codeVersion: 1,
  question: "Is the account's debit count in the window far above its own hourly baseline?",
  params: Params,
  defaults: { minCount: 15, windowHours: 1, baselineMultiple: 10, baselineDays: 30, perCounterparty: false },
  evaluate(input, p) {
    const { tx } = input;
    const windowStart = tx.at - p.windowHours * HOUR;
    const debits = inWindow(
      input,
      p.windowHours,
      (t) => t.direction === 'debit' && (!p.perCounterparty || t.counterparty_id === tx.counterparty_id),
    );
    // The baseline only matters once the count reaches minCount (it can only raise the bar).
    const baseline =
      tx.direction === 'debit' && debits.length >= p.minCount
        ? hourlyBaseline(historySince(input, windowStart - p.baselineDays * 24 * HOUR), windowStart)
        : null;
    const needed = Math.max(p.minCount, (baseline ?? 0) * p.baselineMultiple);
    return {
      value: { debits: debits.length, baseline_per_hour: baseline === null ? null : round2(baseline) },
      threshold: { debits: round2(needed) },
      result: tx.direction === 'debit' && debits.length >= needed,
      evidence: debits.map((t) => t.transaction_id),
      windowStart,
    };
  },
};
