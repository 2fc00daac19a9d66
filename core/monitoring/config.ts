import { z } from 'zod';
import { zodIssueLines } from '../zod-issues';
import { RULES } from './rules';

const RuleConfig = z
  .object({
    version: z.number().int().positive(),
    enabled: z.boolean().default(true),
    params: z.record(z.string(), z.unknown()),
  })
  .strict();

const TypologyConfig = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9_]{1,62}$/),
    description: z.string().min(1).max(300),
    /** Score a rule adds when it fires. */
    weights: z.record(z.string(), z.number().positive()),
    alert: z.number().positive(),
    block: z.number().positive(),
  })
  .strict()
  .refine((t) => t.block >= t.alert, 'block threshold below alert threshold');

/** A rule-set version: every rule's versioned parameters, the typologies and the allowed lateness. */
export const RuleSetSchema = z
  .object({
    version: z.number().int().positive(),
    description: z.string().max(500).default(''),
    latenessHours: z.number().min(0),
    rules: z.record(z.string(), RuleConfig),
    typologies: z.array(TypologyConfig).min(1),
  })
  .strict();

export type RuleSetInput = z.input<typeof RuleSetSchema>;
export type RuleSet = z.output<typeof RuleSetSchema>;
export type Typology = z.output<typeof TypologyConfig>;

/** The embedded default rule set (version 1): the parameters documented in docs/monitoring.md. */
export const DEFAULT_RULESET: RuleSetInput = {
  version: 1,
  description: 'Default rules',
  latenessHours: 24,
  rules: Object.fromEntries(
    Object.values(RULES).map((r) => [r.id, { version: 1, enabled: true, params: { ...r.defaults } }]),
  ),
  typologies: [
    {
      id: 'structuring',
      description: 'Cash placed in amounts just below the reporting threshold',
      weights: { structuring: 100, high_risk_country: 50 },
      alert: 100,
      block: 150,
    },
    {
      id: 'mule_activity',
      description: 'Funds moved out fast: debit bursts, many new payees, round amounts',
      weights: { velocity: 100, new_counterparty_burst: 100, round_amount_burst: 100, large_amount: 30 },
      alert: 100,
      block: 200,
    },
    {
      id: 'account_takeover',
      description: 'Someone else uses the account: impossible travel, dormant account suddenly drained',
      weights: {
        impossible_travel: 100,
        dormant_reactivation: 100,
        new_counterparty_burst: 50,
        large_amount: 30,
      },
      alert: 100,
      block: 180,
    },
    {
      id: 'high_risk_geography',
      description: 'Activity in or from a high-risk jurisdiction',
      weights: { high_risk_country: 100, large_amount: 50 },
      alert: 100,
      block: 150,
    },
  ],
};

/** Validates a rule set: schema, known rules, each rule's parameters, typology weights on known rules. */
export function resolveRuleSet(
  raw: unknown,
): { ok: true; ruleSet: RuleSet } | { ok: false; errors: string[] } {
  const parsed = RuleSetSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, errors: zodIssueLines(parsed.error) };
  const errors: string[] = [];
  const rs = parsed.data;
  for (const [id, cfg] of Object.entries(rs.rules)) {
    const rule = RULES[id];
    if (!rule) {
      errors.push(`rules.${id}: unknown rule (known: ${Object.keys(RULES).join(', ')})`);
      continue;
    }
    const p = rule.params.safeParse(cfg.params);
    if (!p.success) errors.push(...zodIssueLines(p.error, `rules.${id}.params.`));
    else cfg.params = p.data;
  }
  for (const t of rs.typologies)
    for (const id of Object.keys(t.weights))
      if (!rs.rules[id]) errors.push(`typologies.${t.id}.weights.${id}: not a rule of this rule set`);
  return errors.length ? { ok: false, errors } : { ok: true, ruleSet: rs };
}

/** {@link resolveRuleSet} that throws on a bad rule set (for the embedded default and stored versions). */
export function ruleSetOf(raw: unknown): RuleSet {
  const r = resolveRuleSet(raw);
  if (!r.ok) throw new Error(`invalid rule set: ${r.errors.join('; ')}`);
  return r.ruleSet;
}
