import { randomUUID } from 'node:crypto';
import { DEFAULT_RULESET, resolveRuleSet, ruleSetOf, type RuleSet } from '../../core/monitoring/config';
import { InputError } from '../../runtime/errors';
import { MONITORING_STREAM, type MonitoringCall, type MonitoringDeps } from './deps';

/** A stored rule-set version. */
export interface RuleVersion {
  version: number;
  mode: 'live' | 'shadow' | 'retired';
  ruleSet: RuleSet;
  createdBy: string;
  createdAt: string;
}

interface Row {
  version: number;
  mode: RuleVersion['mode'];
  config: unknown;
  created_by: string;
  created_at: Date;
}

const toVersion = (r: Row): RuleVersion => ({
  version: r.version,
  mode: r.mode,
  ruleSet: ruleSetOf(r.config),
  createdBy: r.created_by,
  createdAt: r.created_at.toISOString(),
});

/** Every stored version; the embedded default becomes version 1 (live) on first use. */
export async function listRuleVersions(d: MonitoringDeps): Promise<RuleVersion[]> {
  await d.db.$client.query(
    `INSERT INTO monitoring_rule_versions (version, config, mode, created_by) SELECT 1, $1, 'live', 'default'
      WHERE NOT EXISTS (SELECT 1 FROM monitoring_rule_versions) ON CONFLICT DO NOTHING`,
    [JSON.stringify(ruleSetOf(DEFAULT_RULESET))],
  );
  const { rows } = await d.db.$client.query<Row>(
    `SELECT version, mode, config, created_by, created_at FROM monitoring_rule_versions ORDER BY version`,
  );
  return rows.map(toVersion);
}

/** The live version and the shadow versions (what ingest evaluates). */
export async function runningVersions(
  d: MonitoringDeps,
): Promise<{ live: RuleVersion; shadow: RuleVersion[] }> {
  const all = await listRuleVersions(d);
  const live = all.find((v) => v.mode === 'live');
  if (!live) throw new InputError('no live rule-set version (see "ledgerflow rules list")');
  return { live, shadow: all.filter((v) => v.mode === 'shadow') };
}

/** One stored version, or an input error naming it. */
export async function ruleVersion(d: MonitoringDeps, version: number): Promise<RuleVersion> {
  const v = (await listRuleVersions(d)).find((x) => x.version === version);
  if (!v) throw new InputError(`unknown rule-set version ${version} (see "ledgerflow rules list")`);
  return v;
}

/**
 * Adds a rule-set version in shadow mode (its alerts are recorded, not raised). The config's
 * `version` must be the next number. Recorded in the ledger.
 */
export async function addRuleVersion(
  d: MonitoringDeps,
  call: MonitoringCall,
  raw: unknown,
): Promise<RuleVersion> {
  const r = resolveRuleSet(raw);
  if (!r.ok) throw new InputError(`invalid rule set: ${r.errors.join('; ')}`);
  const all = await listRuleVersions(d);
  const next = Math.max(...all.map((v) => v.version)) + 1;
  if (r.ruleSet.version !== next)
    throw new InputError(`rule set version must be ${next} (the next version), got ${r.ruleSet.version}`);
  await d.ledger.append(
    {
      event_type: 'monitoring.rule_version_added',
      actor: call.actor,
      resource: { type: 'monitoring_rule_set', id: String(next) },
      action: 'add',
      outcome: 'success',
      context: call.context ?? {},
      payload: { mode: 'shadow', config: JSON.parse(JSON.stringify(r.ruleSet)) as Record<string, never> },
    },
    { stream: MONITORING_STREAM, idempotencyKey: `monitoring-rule-version:${next}` },
  );
  await d.db.$client.query(
    `INSERT INTO monitoring_rule_versions (version, config, mode, created_by) VALUES ($1, $2, 'shadow', $3)`,
    [next, JSON.stringify(r.ruleSet), call.actor.id],
  );
  return ruleVersion(d, next);
}

/** Makes `version` live; the previous live version is retired. Recorded in the ledger. */
export async function promoteRuleVersion(
  d: MonitoringDeps,
  call: MonitoringCall,
  version: number,
): Promise<RuleVersion> {
  const v = await ruleVersion(d, version);
  if (v.mode === 'live') return v;
  const c = await d.db.$client.connect();
  try {
    await c.query('BEGIN');
    await c.query(
      `UPDATE monitoring_rule_versions SET mode = 'retired', updated_at = now() WHERE mode = 'live'`,
    );
    await c.query(
      `UPDATE monitoring_rule_versions SET mode = 'live', updated_at = now() WHERE version = $1`,
      [version],
    );
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
  await d.ledger.append(
    {
      event_type: 'monitoring.rule_version_promoted',
      actor: call.actor,
      resource: { type: 'monitoring_rule_set', id: String(version) },
      action: 'promote',
      outcome: 'success',
      context: call.context ?? {},
      payload: {},
    },
    { stream: MONITORING_STREAM, idempotencyKey: `monitoring-rule-promoted:${version}:${randomUUID()}` },
  );
  return ruleVersion(d, version);
}
