import type { RuleCondition, RuleSet } from './loan-rules-schema';

export type { RuleSet } from './loan-rules-schema';

/** Facts the rules decide on: numbers and flags only, no personal data. */
export interface RuleInputs {
  creditScore: number;
  activeDefaults: number;
  companyActive: boolean;
  companyAgeYears: number;
  amountToRevenue: number;
  screeningHits: number;
}

/**
 * Every published ruleset version. A version is immutable once published: a running workflow
 * pins its version at start, so replays decide exactly as the original run did. Change rules
 * by adding a version and pointing CURRENT_RULESET_VERSION at it. Plain data, checked against
 * RuleSetSchema by test/loan-rulesets.test.ts instead of parsed here: the workflows import this
 * module and each workflow run evaluates it anew (a parse cost ~2 ms of CPU per loan run).
 */
export const LOAN_RULESETS: Record<string, RuleSet> = {
  '2026.11.1': {
    id: 'loan-origination',
    version: '2026.11.1',
    rules: [
      {
        id: 'R-COMPANY-INACTIVE',
        outcome: 'decline',
        when: [{ field: 'companyActive', op: 'eq', value: false }],
        reason: 'company is not active in the registry',
      },
      {
        id: 'R-ACTIVE-DEFAULTS',
        outcome: 'decline',
        when: [{ field: 'activeDefaults', op: 'gt', value: 0 }],
        reason: 'applicant has active defaults',
      },
      {
        id: 'R-LOW-SCORE',
        outcome: 'decline',
        when: [{ field: 'creditScore', op: 'lt', value: 580 }],
        reason: 'credit score below 580',
      },
      {
        id: 'R-SANCTIONS-HIT',
        outcome: 'review',
        when: [{ field: 'screeningHits', op: 'gt', value: 0 }],
        reason: 'possible watch-list match needs a human',
      },
      {
        id: 'R-BORDERLINE-SCORE',
        outcome: 'review',
        when: [{ field: 'creditScore', op: 'lt', value: 660 }],
        reason: 'credit score 580-659',
      },
      {
        id: 'R-YOUNG-COMPANY',
        outcome: 'review',
        when: [{ field: 'companyAgeYears', op: 'lt', value: 2 }],
        reason: 'company younger than 2 years',
      },
      {
        id: 'R-AMOUNT-VS-REVENUE',
        outcome: 'review',
        when: [{ field: 'amountToRevenue', op: 'gt', value: 0.5 }],
        reason: 'amount over half of annual revenue',
      },
    ],
    fallback: { id: 'R-DEFAULT-APPROVE', outcome: 'approve', reason: 'no rule objected' },
  },
};
export const CURRENT_RULESET_VERSION = '2026.11.1';

export interface RuleEvaluation {
  ruleSetId: string;
  ruleSetVersion: string;
  inputs: RuleInputs;
  /** Every rule that fired, in ruleset order. */
  fired: Array<{ ruleId: string; outcome: 'approve' | 'review' | 'decline'; reason: string }>;
  outcome: 'approve' | 'review' | 'decline';
  /** The rule that set the outcome: the first decline, else the first review, else the fallback. */
  decidingRuleId: string;
  reason: string;
}

function holds(c: RuleCondition, inputs: RuleInputs): boolean {
  const v = inputs[c.field];
  switch (c.op) {
    case 'eq':
      return v === c.value;
    case 'lt':
      return typeof v === 'number' && v < Number(c.value);
    case 'lte':
      return typeof v === 'number' && v <= Number(c.value);
    case 'gt':
      return typeof v === 'number' && v > Number(c.value);
    case 'gte':
      return typeof v === 'number' && v >= Number(c.value);
  }
}

/** Evaluates a ruleset (pure, deterministic): decline beats review beats approve. */
export function evaluateRules(ruleSet: RuleSet, inputs: RuleInputs): RuleEvaluation {
  const fired = ruleSet.rules
    .filter((r) => r.when.every((c) => holds(c, inputs)))
    .map((r) => ({ ruleId: r.id, outcome: r.outcome, reason: r.reason }));
  const deciding = fired.find((f) => f.outcome === 'decline') ?? fired.find((f) => f.outcome === 'review');
  return {
    ruleSetId: ruleSet.id,
    ruleSetVersion: ruleSet.version,
    inputs,
    fired,
    outcome: deciding?.outcome ?? ruleSet.fallback.outcome,
    decidingRuleId: deciding?.ruleId ?? ruleSet.fallback.id,
    reason: deciding?.reason ?? ruleSet.fallback.reason,
  };
}

/** The ruleset of a version, or an error naming the known versions. */
export function ruleSetFor(version: string = CURRENT_RULESET_VERSION): RuleSet {
  const rs = LOAN_RULESETS[version];
  if (!rs)
    throw new Error(`unknown ruleset version "${version}" (known: ${Object.keys(LOAN_RULESETS).join(', ')})`);
  return rs;
}
