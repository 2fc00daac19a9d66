import {
  COMPLIANCE_STREAM,
  diffPolicies,
  lockViolation,
  resolveRetentionConfig,
  type PolicyChange,
  type StoredPolicy,
} from '../../core/retention';
import type { Database } from '../../db/client';
import type { Ledger } from '../../ledger/ledger';
import { requirePrincipal } from '../principals/principals';
import { RetentionRejected, rethrow } from './errors';

/** Retention policies: stored versions and the sync from a config (every change is a `compliance` event). */

/** The latest stored version of every policy (retired ones included). */
export async function storedPolicies(db: Database): Promise<StoredPolicy[]> {
  const r = await db.$client.query<StoredPolicy>(
    `SELECT DISTINCT ON (policy_id) policy_id AS "policyId", version, data_classes AS "dataClasses",
            period_seconds AS "periodSeconds", trigger, action, locked, legal_minimum_seconds AS "legalMinimumSeconds", retired
       FROM retention_policies ORDER BY policy_id, version DESC`,
  );
  return r.rows;
}

export interface PolicyRow extends StoredPolicy {
  period: string;
  changedBy: string;
  reason: string;
  createdAt: string;
}

/** Every stored version (newest first per policy), for `retention policies --history`. */
export async function policyVersions(db: Database, all = false): Promise<PolicyRow[]> {
  const r = await db.$client.query<PolicyRow>(
    `SELECT ${all ? '' : 'DISTINCT ON (policy_id)'} policy_id AS "policyId", version, data_classes AS "dataClasses",
            period_seconds AS "periodSeconds", period, trigger, action, locked, legal_minimum_seconds AS "legalMinimumSeconds",
            retired, changed_by AS "changedBy", reason, created_at AS "createdAt"
       FROM retention_policies ORDER BY policy_id, version DESC`,
  );
  return r.rows;
}

export interface SyncResult {
  changes: Array<{ kind: PolicyChange['kind']; policyId: string; version: number }>;
  unchanged: number;
}

/**
 * Brings the stored policies to `rawConfig`: validates it (legal minimums, adapters), refuses
 * changes a locked policy does not allow, then writes one new version per changed policy (the
 * database re-checks locks) and a `retention.policy_changed` event per version. All versions are
 * written in one transaction: a rejected change leaves nothing changed.
 */
export async function syncPolicies(
  ledger: Ledger,
  rawConfig: unknown,
  opts: { changedBy: string; reason: string; dryRun?: boolean },
): Promise<SyncResult> {
  const db = ledger.db;
  if (!opts.dryRun) await requirePrincipal(db, opts.changedBy, 'policy.change');
  const resolved = resolveRetentionConfig(rawConfig);
  if (!resolved.ok) throw new RetentionRejected(`retention config rejected: ${resolved.errors.join('; ')}`);
  const stored = await storedPolicies(db);
  const changes = diffPolicies(resolved.config, stored);
  const problems = changes.map(lockViolation).filter((x): x is string => Boolean(x));
  if (problems.length) throw new RetentionRejected(`retention config rejected: ${problems.join('; ')}`);
  const out: SyncResult['changes'] = [];
  const rows: Array<{ policyId: string; version: number; row: unknown[]; change: PolicyChange }> = [];
  for (const c of changes) {
    const version = (c.previous?.version ?? 0) + 1;
    if (c.kind === 'retire') {
      const p = c.previous;
      rows.push({
        policyId: p.policyId,
        version,
        change: c,
        row: [
          p.policyId,
          version,
          p.dataClasses,
          p.periodSeconds,
          `PT${p.periodSeconds}S`,
          p.trigger,
          p.action,
          p.locked,
          p.legalMinimumSeconds,
          true,
        ],
      });
    } else {
      const p = c.policy;
      rows.push({
        policyId: p.id,
        version,
        change: c,
        row: [
          p.id,
          version,
          p.dataClasses,
          p.periodSeconds,
          p.period,
          p.trigger,
          p.action,
          p.locked,
          p.legalMinimumSeconds,
          false,
        ],
      });
    }
    out.push({ kind: c.kind, policyId: rows[rows.length - 1]!.policyId, version });
  }
  if (opts.dryRun || rows.length === 0)
    return { changes: out, unchanged: resolved.config.policies.length - changes.length };
  const client = await db.$client.connect();
  try {
    await client.query('BEGIN');
    for (const r of rows) {
      await client.query(
        `INSERT INTO retention_policies (policy_id, version, data_classes, period_seconds, period, trigger, action, locked,
           legal_minimum_seconds, retired, changed_by, reason) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)`,
        [...r.row, opts.changedBy, opts.reason],
      );
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    rethrow(err);
  } finally {
    client.release();
  }
  for (const r of rows) {
    const c = r.change;
    await ledger.append(
      {
        event_type: 'retention.policy_changed',
        actor: { type: 'user', id: opts.changedBy },
        resource: { type: 'retention_policy', id: r.policyId },
        action: c.kind,
        outcome: 'success',
        context: { request: { source: 'cli' } },
        payload: {
          policy_id: r.policyId,
          version: r.version,
          change: c.kind,
          previous_version: c.previous?.version ?? null,
          policy: c.kind === 'retire' ? null : { ...c.policy },
          reason: opts.reason,
        },
      },
      { stream: COMPLIANCE_STREAM, idempotencyKey: `retention:policy:${r.policyId}:v${r.version}` },
    );
  }
  return { changes: out, unchanged: resolved.config.policies.length - changes.length };
}
