import { z } from 'zod';
import { HOUR, inWindow, type RuleDefinition } from '../rule';
import type { TimedTransaction } from '../transaction';

const Params = z
  .object({ minCount: z.number().int().positive(), windowHours: z.number().positive() })
  .strict();

/** A payee: the counterparty of an outgoing transfer (card merchants are not payees). */
export const isPayment = (t: Pick<TimedTransaction, 'channel' | 'direction'>): boolean =>
  t.channel === 'transfer' && t.direction === 'debit';

/** New-counterparty burst: many transfers to payees never seen on the account before, within a day. */
export const newCounterpartyBurst: RuleDefinition<z.infer<typeof Params>> = {
  id: 'new_counterparty_burst',
  codeVersion: 1,
  question: 'Did the account pay many payees it had never paid or received from before, in a short window?',
  params: Params,
  defaults: { minCount: 8, windowHours: 24 },
  evaluate(input, p) {
    const windowStart = input.tx.at - p.windowHours * HOUR;
    // New: the counterparty's first non-card transaction on the account is inside the window.
    const isNew = (t: TimedTransaction) => {
      const first = input.firstSeen.get(t.counterparty_id);
      return first === undefined || first >= windowStart;
    };
    const seenInWindow = new Set<string>();
    const hits: TimedTransaction[] = [];
    for (const t of inWindow(input, p.windowHours, (x) => x.channel !== 'card')) {
      if (isPayment(t) && isNew(t) && !seenInWindow.has(t.counterparty_id)) hits.push(t);
      seenInWindow.add(t.counterparty_id);
    }
    const isHit = hits.some((t) => t.transaction_id === input.tx.transaction_id);
    return {
      value: hits.length,
      threshold: p.minCount,
      result: isHit && hits.length >= p.minCount,
      evidence: hits.map((t) => t.transaction_id),
      windowStart,
    };
  },
};
