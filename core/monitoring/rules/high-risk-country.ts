import { z } from 'zod';
import { type RuleDefinition } from '../rule';

const Params = z.object({ countries: z.array(z.string().regex(/^[A-Z]{2}$/)) }).strict();

/** Geo-fencing: the transaction happened in (or was initiated from) a high-risk country. */
export const highRiskCountry: RuleDefinition<z.infer<typeof Params>> = {
  id: 'high_risk_country',
  codeVersion: 1,
  question: 'Did the transaction happen in, or come from an IP in, a high-risk country?',
  params: Params,
  // FATF "call for action" jurisdictions (as of 2025): DPRK, Iran, Myanmar.
  defaults: { countries: ['KP', 'IR', 'MM'] },
  evaluate({ tx }, p) {
    const hit = [tx.country, tx.ip_country].filter((c): c is string => !!c && p.countries.includes(c));
    return {
      value: hit.length,
      threshold: 1,
      result: hit.length > 0,
      evidence: [tx.transaction_id],
      windowStart: tx.at,
    };
  },
};
