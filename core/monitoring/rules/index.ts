import type { RuleDefinition } from '../rule';
import { dormantReactivation } from './dormant-reactivation';
import { highRiskCountry } from './high-risk-country';
import { impossibleTravel } from './impossible-travel';
import { largeAmount } from './large-amount';
import { newCounterpartyBurst } from './new-counterparty-burst';
import { roundAmountBurst } from './round-amount-burst';
import { structuring } from './structuring';
import { velocity } from './velocity';

/** Every rule the engine knows, by id. */
export const RULES: Record<string, RuleDefinition> = Object.fromEntries(
  [
    structuring,
    velocity,
    impossibleTravel,
    highRiskCountry,
    largeAmount,
    roundAmountBurst,
    newCounterpartyBurst,
    dormantReactivation,
  ].map((r) => [r.id, r as unknown as RuleDefinition]),
);
