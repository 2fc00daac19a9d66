import { describe, expect, it } from 'vitest';
import { CURRENT_RULESET_VERSION, LOAN_RULESETS, ruleSetFor } from '../core/loan-rules';
import { RuleSetSchema } from '../core/loan-rules-schema';

// Published rulesets are plain data (the workflows evaluate core/loan-rules.ts in every run, so
// it parses nothing): this is where they are held to their schema.
describe('published loan rulesets', () => {
  it('each one is exactly what its schema accepts, under the version it is published as', () => {
    expect(Object.keys(LOAN_RULESETS)).toContain(CURRENT_RULESET_VERSION);
    for (const [version, ruleSet] of Object.entries(LOAN_RULESETS)) {
      expect(RuleSetSchema.parse(ruleSet)).toEqual(ruleSet);
      expect(ruleSet.version).toBe(version);
      expect(ruleSetFor(version)).toBe(ruleSet);
    }
  });

  it('the schema refuses a ruleset a typo would break', () => {
    const current = ruleSetFor(CURRENT_RULESET_VERSION);
    const [first, ...rest] = current.rules;
    const typo = {
      ...current,
      rules: [{ ...first, when: [{ field: 'creditScor', op: 'lt', value: 1 }] }, ...rest],
    };
    expect(RuleSetSchema.safeParse(typo).success).toBe(false);
  });
});
