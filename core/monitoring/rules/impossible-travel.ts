import { z } from 'zod';
import { countryDistanceKm } from '../centroids';
import { HOUR, historySince, round2, type RuleDefinition } from '../rule';

const Params = z
  .object({
    maxKmPerHour: z.number().positive(),
    lookbackHours: z.number().positive(),
    channels: z.array(z.enum(['card', 'transfer', 'cash', 'wallet'])).min(1),
  })
  .strict();

/**
 * Impossible travel: two card-present transactions in countries so far apart for the time between
 * them that the implied speed (centroid distance / time) exceeds the limit.
 */
export const impossibleTravel: RuleDefinition<z.infer<typeof Params>> = {
  id: 'impossible_travel',
  codeVersion: 1,
  question: 'Could the customer have travelled between two card-present transactions in time?',
  params: Params,
  defaults: { maxKmPerHour: 900, lookbackHours: 24, channels: ['card'] },
  evaluate(input, p) {
    const { tx } = input;
    const windowStart = tx.at - p.lookbackHours * HOUR;
    if (!p.channels.includes(tx.channel))
      return { value: null, threshold: p.maxKmPerHour, result: false, evidence: [], windowStart };
    let best: { speed: number; id: string } | null = null;
    for (const t of historySince(input, windowStart)) {
      if (!p.channels.includes(t.channel)) continue;
      const km = countryDistanceKm(t.country, tx.country);
      if (km === null || km === 0) continue;
      const hours = (tx.at - t.at) / HOUR;
      // Same instant, different countries: the speed is unbounded; reported as the distance per minute.
      const speed = hours > 0 ? km / hours : km * 60;
      if (!best || speed > best.speed) best = { speed, id: t.transaction_id };
    }
    const speed = best ? round2(best.speed) : null;
    return {
      value: speed,
      threshold: p.maxKmPerHour,
      result: speed !== null && speed > p.maxKmPerHour,
      evidence: best ? [best.id, tx.transaction_id] : [tx.transaction_id],
      windowStart,
    };
  },
};
