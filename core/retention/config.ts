import { z } from 'zod';
import { DATA_CLASSES, type DataClassAdapter } from './adapters';
import { parseDuration } from './duration';
import { zodIssueLines } from '../zod-issues';

/**
 * Retention policies as code. Each policy covers one or more data classes with a period, a
 * trigger (from creation, closing or last activity) and an action. Several policies may cover
 * the same class: an item expires only when every one of them has expired it (the longest
 * retention wins). `legalMinimums` declares, per data class, the shortest period the law allows;
 * a policy below it is rejected. `locked` policies can only be extended (enforced by the DB).
 */
const Duration = z.string().superRefine((v, ctx) => {
  const r = parseDuration(v);
  if ('error' in r) ctx.addIssue({ code: 'custom', message: r.error });
});

export const PolicySchema = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9-]{1,62}$/, 'policy id: lower-case letters, digits and "-"'),
    dataClasses: z.array(z.string().min(1)).min(1),
    period: Duration,
    trigger: z.enum(['created', 'closed', 'last_activity']),
    action: z.enum(['purge_payload', 'delete']),
    locked: z.boolean().default(false),
    description: z.string().min(1).max(500),
  })
  .strict();

export const RetentionConfigSchema = z
  .object({
    legalMinimums: z.record(z.string(), Duration).default({}),
    policies: z.array(PolicySchema),
  })
  .strict();

export type RetentionConfigInput = z.input<typeof RetentionConfigSchema>;
export type RetentionPolicyConfig = z.output<typeof PolicySchema>;

/** A validated policy with its period and legal minimum in seconds. */
export interface ResolvedPolicy extends RetentionPolicyConfig {
  periodSeconds: number;
  legalMinimumSeconds: number;
}

export interface ResolvedConfig {
  policies: ResolvedPolicy[];
  legalMinimums: Record<string, number>;
}

const secondsOf = (d: string): number => {
  const r = parseDuration(d);
  if ('error' in r) throw new Error(r.error);
  return r.seconds;
};

/**
 * Validates a retention config against the registered data classes; returns the resolved
 * policies or a list of problems (each naming the policy and field).
 */
export function resolveRetentionConfig(
  raw: unknown,
  adapters: readonly DataClassAdapter[] = DATA_CLASSES,
): { ok: true; config: ResolvedConfig } | { ok: false; errors: string[] } {
  const parsed = RetentionConfigSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      errors: zodIssueLines(parsed.error),
    };
  }
  const errors: string[] = [];
  const byClass = new Map(adapters.map((a) => [a.dataClass, a]));
  const legalMinimums: Record<string, number> = {};
  for (const [cls, d] of Object.entries(parsed.data.legalMinimums)) {
    if (!byClass.has(cls)) errors.push(`legalMinimums.${cls}: unknown data class`);
    legalMinimums[cls] = secondsOf(d);
  }
  const seen = new Set<string>();
  const policies: ResolvedPolicy[] = [];
  for (const p of parsed.data.policies) {
    const where = `policy ${p.id}`;
    if (seen.has(p.id)) errors.push(`${where}: duplicate id`);
    seen.add(p.id);
    const periodSeconds = secondsOf(p.period);
    let legalMinimumSeconds = 0;
    for (const cls of p.dataClasses) {
      const a = byClass.get(cls);
      if (!a) {
        errors.push(`${where}: unknown data class "${cls}" (known: ${[...byClass.keys()].join(', ')})`);
        continue;
      }
      if (a.action !== p.action)
        errors.push(`${where}: data class ${cls} only supports action "${a.action}"`);
      if (!a.triggers[p.trigger]) {
        errors.push(
          `${where}: data class ${cls} has no "${p.trigger}" time (supports ${Object.keys(a.triggers).join(', ')})`,
        );
      }
      const min = legalMinimums[cls] ?? 0;
      if (periodSeconds < min) {
        errors.push(
          `${where}: period ${p.period} is shorter than the legal minimum ${parsed.data.legalMinimums[cls]} for ${cls}`,
        );
      }
      legalMinimumSeconds = Math.max(legalMinimumSeconds, min);
    }
    policies.push({ ...p, periodSeconds, legalMinimumSeconds });
  }
  return errors.length ? { ok: false, errors } : { ok: true, config: { policies, legalMinimums } };
}

/** Latest stored version of a policy, as compared with the config. */
export interface StoredPolicy {
  policyId: string;
  version: number;
  dataClasses: string[];
  periodSeconds: number;
  trigger: string;
  action: string;
  locked: boolean;
  legalMinimumSeconds: number;
  retired: boolean;
}

export type PolicyChange =
  | { kind: 'create' | 'update'; policy: ResolvedPolicy; previous?: StoredPolicy }
  | { kind: 'retire'; previous: StoredPolicy };

/** What syncing `config` to the stored policies would change (pure; the DB enforces locks too). */
export function diffPolicies(config: ResolvedConfig, stored: StoredPolicy[]): PolicyChange[] {
  const byId = new Map(stored.map((s) => [s.policyId, s]));
  const changes: PolicyChange[] = [];
  for (const p of config.policies) {
    const prev = byId.get(p.id);
    if (!prev || prev.retired) {
      changes.push({ kind: prev ? 'update' : 'create', policy: p, previous: prev });
      continue;
    }
    const same =
      prev.periodSeconds === p.periodSeconds &&
      prev.trigger === p.trigger &&
      prev.action === p.action &&
      prev.locked === p.locked &&
      prev.legalMinimumSeconds === p.legalMinimumSeconds &&
      [...prev.dataClasses].sort().join(',') === [...p.dataClasses].sort().join(',');
    if (!same) changes.push({ kind: 'update', policy: p, previous: prev });
  }
  const ids = new Set(config.policies.map((p) => p.id));
  for (const s of stored)
    if (!s.retired && !ids.has(s.policyId)) changes.push({ kind: 'retire', previous: s });
  return changes;
}

/** Problems a change would hit on a locked policy (checked again by the database trigger). */
export function lockViolation(change: PolicyChange): string | undefined {
  const prev = change.previous;
  if (!prev?.locked || prev.retired) return undefined;
  if (change.kind === 'retire') return `policy ${prev.policyId} is locked: it cannot be removed`;
  const p = change.policy;
  if (!p.locked) return `policy ${p.id} is locked: it cannot be unlocked`;
  if (p.periodSeconds < prev.periodSeconds)
    return `policy ${p.id} is locked: its period can only be extended`;
  if (
    !prev.dataClasses.every((c) => p.dataClasses.includes(c)) ||
    p.trigger !== prev.trigger ||
    p.action !== prev.action
  ) {
    return `policy ${p.id} is locked: its data classes, trigger and action cannot change`;
  }
  return undefined;
}
