import { randomUUID } from 'node:crypto';
import type { DatabaseError } from 'pg';
import type { Actor } from '../core/audit-event';
import {
  COMPLIANCE_STREAM,
  diffPolicies,
  lockViolation,
  resolveRetentionConfig,
  type ClassPreview,
  type PolicyChange,
  type StoredPolicy,
} from '../core/retention';
import type { Database } from '../db/client';
import type { Ledger } from '../ledger/ledger';
import { LedgerValidationError } from '../ledger/errors';

/**
 * Database side of retention: policy sync, legal holds, purge batches and previews. Used by the
 * retention activities and the CLI. Every change is also a ledger event (stream `compliance`).
 */

/** Bad retention input (unknown hold, self-approval, policy below a legal minimum...): nothing changed. */
export class RetentionRejected extends LedgerValidationError {
  constructor(message: string) {
    super(message);
    this.name = 'RetentionRejected';
  }
}

const pgError = (err: unknown): DatabaseError | undefined =>
  err && typeof err === 'object' && 'code' in err && 'severity' in err ? (err as DatabaseError) : undefined;

/** Turns the database's own refusals (triggers, constraints) into {@link RetentionRejected}. */
function rethrow(err: unknown): never {
  const e = pgError(err);
  if (e && ['23514', '23503', '23505', '22023', '23502'].includes(e.code ?? ''))
    throw new RetentionRejected(e.message);
  throw err;
}

// ---------------------------------------------------------------- policies

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

// ---------------------------------------------------------------- legal holds

export type HoldScope = 'subject' | 'resource' | 'case' | 'data_class';

export interface PlaceHoldInput {
  scope: HoldScope;
  /** `subject id`, `case id`, data class, or `type:id` for resources. */
  value: string;
  caseId: string;
  reason: string;
  placedBy: string;
  holdId?: string;
}

export interface HoldRow {
  holdId: string;
  scope: HoldScope;
  scopeType: string | null;
  scopeValue: string;
  caseId: string;
  reason: string;
  placedBy: string;
  placedAt: string;
  releasedBy: string | null;
  releasedAt: string | null;
  releaseReason: string | null;
}

/** When a `principals` table exists (loan origination), acting principals must be in it. */
async function checkPrincipal(db: Database, id: string): Promise<void> {
  const t = await db.$client.query<{ t: string | null }>(`SELECT to_regclass('principals')::text AS t`);
  if (!t.rows[0]?.t) return;
  const r = await db.$client.query('SELECT 1 FROM principals WHERE id = $1', [id]);
  if (r.rowCount === 0) throw new RetentionRejected(`unknown principal "${id}" (not in principals)`);
}

const actorOf = (id: string): Actor => ({ type: 'user', id });
const nonEmpty = (v: string, what: string) => {
  if (!v || !v.trim()) throw new RetentionRejected(`${what} is required`);
  if (v.length > 500) throw new RetentionRejected(`${what} is longer than 500 characters`);
  return v.trim();
};

export async function placeHold(ledger: Ledger, input: PlaceHoldInput): Promise<HoldRow> {
  const db = ledger.db;
  const scopes: HoldScope[] = ['subject', 'resource', 'case', 'data_class'];
  if (!scopes.includes(input.scope))
    throw new RetentionRejected(`hold scope must be one of ${scopes.join(', ')}`);
  const value = nonEmpty(input.value, 'hold scope value');
  const caseId = nonEmpty(input.caseId, 'case id');
  const reason = nonEmpty(input.reason, 'reason');
  const placedBy = nonEmpty(input.placedBy, 'placed by (--as)');
  let scopeType: string | null = null;
  let scopeValue = value;
  if (input.scope === 'resource') {
    const i = value.indexOf(':');
    if (i <= 0 || i === value.length - 1)
      throw new RetentionRejected('a resource hold needs "<type>:<id>", e.g. application:app-1');
    scopeType = value.slice(0, i);
    scopeValue = value.slice(i + 1);
  }
  if (input.scope === 'data_class') {
    const r = await db.$client.query('SELECT 1 FROM retention_data_classes WHERE data_class = $1', [value]);
    if (r.rowCount === 0) throw new RetentionRejected(`unknown data class "${value}"`);
  }
  await checkPrincipal(db, placedBy);
  const holdId = input.holdId ?? randomUUID();
  try {
    await db.$client.query(
      `INSERT INTO legal_holds (hold_id, scope, scope_type, scope_value, case_id, reason, placed_by)
       VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (hold_id) DO NOTHING`,
      [holdId, input.scope, scopeType, scopeValue, caseId, reason, placedBy],
    );
  } catch (err) {
    rethrow(err);
  }
  await ledger.append(
    {
      event_type: 'legal_hold.placed',
      actor: actorOf(placedBy),
      resource: { type: 'legal_hold', id: holdId },
      action: 'place',
      outcome: 'success',
      subject_id: input.scope === 'subject' ? scopeValue : null,
      case_id: caseId,
      context: { request: { source: 'cli' } },
      payload: { scope: input.scope, scope_type: scopeType, scope_value: scopeValue, reason },
    },
    { stream: COMPLIANCE_STREAM, idempotencyKey: `legal_hold:${holdId}:placed` },
  );
  return (await listHolds(db, { holdId, all: true }))[0]!;
}

export async function releaseHold(
  ledger: Ledger,
  input: { holdId: string; releasedBy: string; reason: string },
): Promise<HoldRow> {
  const db = ledger.db;
  const releasedBy = nonEmpty(input.releasedBy, 'released by (--as)');
  const reason = nonEmpty(input.reason, 'reason');
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(input.holdId)) {
    throw new RetentionRejected(`unknown legal hold "${input.holdId}" (not a hold id)`);
  }
  const [hold] = await listHolds(db, { holdId: input.holdId, all: true });
  if (!hold) throw new RetentionRejected(`unknown legal hold ${input.holdId}`);
  if (hold.releasedBy)
    throw new RetentionRejected(`legal hold ${input.holdId} was already released by ${hold.releasedBy}`);
  if (hold.placedBy === releasedBy) {
    throw new RetentionRejected(
      `legal hold ${input.holdId}: ${releasedBy} placed it and may not release it (four-eyes: another principal must)`,
    );
  }
  await checkPrincipal(db, releasedBy);
  try {
    await db.$client.query(
      'INSERT INTO legal_hold_releases (hold_id, released_by, reason) VALUES ($1,$2,$3)',
      [input.holdId, releasedBy, reason],
    );
  } catch (err) {
    rethrow(err);
  }
  await ledger.append(
    {
      event_type: 'legal_hold.released',
      actor: actorOf(releasedBy),
      resource: { type: 'legal_hold', id: input.holdId },
      action: 'release',
      outcome: 'success',
      subject_id: hold.scope === 'subject' ? hold.scopeValue : null,
      case_id: hold.caseId,
      context: { request: { source: 'cli' } },
      payload: { reason, placed_by: hold.placedBy },
    },
    { stream: COMPLIANCE_STREAM, idempotencyKey: `legal_hold:${input.holdId}:released` },
  );
  return (await listHolds(db, { holdId: input.holdId, all: true }))[0]!;
}

export async function listHolds(
  db: Database,
  opts: { all?: boolean; holdId?: string } = {},
): Promise<HoldRow[]> {
  const r = await db.$client.query<HoldRow>(
    `SELECT h.hold_id AS "holdId", h.scope, h.scope_type AS "scopeType", h.scope_value AS "scopeValue", h.case_id AS "caseId",
            h.reason, h.placed_by AS "placedBy", h.placed_at AS "placedAt", r.released_by AS "releasedBy",
            r.released_at AS "releasedAt", r.reason AS "releaseReason"
       FROM legal_holds h LEFT JOIN legal_hold_releases r ON r.hold_id = h.hold_id
      WHERE ($1::boolean OR r.hold_id IS NULL) AND ($2::uuid IS NULL OR h.hold_id = $2::uuid)
      ORDER BY h.placed_at, h.hold_id`,
    [opts.all ?? false, opts.holdId ?? null],
  );
  return r.rows;
}

// ---------------------------------------------------------------- purge

/** Data classes some active policy covers. */
export async function coveredClasses(db: Database): Promise<string[]> {
  const r = await db.$client.query<{ c: string }>(
    `SELECT DISTINCT unnest(p.data_classes) AS c
       FROM (SELECT DISTINCT ON (policy_id) * FROM retention_policies ORDER BY policy_id, version DESC) p
      WHERE NOT p.retired ORDER BY 1`,
  );
  return r.rows.map((x) => x.c);
}

export async function previewClass(db: Database, dataClass: string, asOf: string): Promise<ClassPreview> {
  try {
    const r = await db.$client.query<{ p: ClassPreview }>(
      'SELECT retention_preview($1, $2::timestamptz) AS p',
      [dataClass, asOf],
    );
    return r.rows[0]!.p;
  } catch (err) {
    rethrow(err);
  }
}

export interface BatchResult {
  purged: number;
  held_late: number;
  claimed: number;
  done: boolean;
  cursor: unknown;
  batch_no?: number;
  policy_versions: string;
}

/**
 * One purge batch in its own READ COMMITTED transaction, as the purger role: `purgerDb` connects
 * as ledgerflow_purger; without it the (writer) pool switches role with SET LOCAL ROLE.
 */
export async function purgeBatch(
  db: Database,
  args: {
    purgeRunId: string;
    dataClass: string;
    asOf: string;
    limit: number;
    cursor: unknown;
    viaSetRole: boolean;
  },
): Promise<BatchResult> {
  const client = await db.$client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
    if (args.viaSetRole) await client.query('SET LOCAL ROLE ledgerflow_purger');
    const r = await client.query<{ r: BatchResult }>(
      'SELECT retention_purge_batch($1, $2, $3::timestamptz, $4, $5::jsonb) AS r',
      [
        args.purgeRunId,
        args.dataClass,
        args.asOf,
        args.limit,
        args.cursor === null || args.cursor === undefined ? null : JSON.stringify(args.cursor),
      ],
    );
    await client.query('COMMIT');
    return r.rows[0]!.r;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    rethrow(err);
  } finally {
    client.release();
  }
}

export interface BatchRecord {
  dataClass: string;
  batchNo: number;
  purged: number;
  heldSkipped: number;
  firstKey: string | null;
  lastKey: string | null;
  minTs: string | null;
  maxTs: string | null;
  digest: string | null;
  policyVersions: string;
}

/** The committed batches of a purge run: the truth the certificate is built from. */
export async function batchRecords(db: Database, purgeRunId: string): Promise<BatchRecord[]> {
  const r = await db.$client.query<BatchRecord>(
    `SELECT data_class AS "dataClass", batch_no AS "batchNo", purged, held_skipped AS "heldSkipped", first_key AS "firstKey",
            last_key AS "lastKey", to_char(min_ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "minTs",
            to_char(max_ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "maxTs",
            encode(digest, 'hex') AS digest, policy_versions AS "policyVersions"
       FROM retention_purge_batches WHERE purge_run_id = $1 ORDER BY data_class, batch_no`,
    [purgeRunId],
  );
  return r.rows;
}
