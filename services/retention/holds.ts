import { randomUUID } from 'node:crypto';
import type { Actor } from '../../core/audit-event';
import { COMPLIANCE_STREAM } from '../../core/retention';
import type { Database } from '../../db/client';
import type { Ledger } from '../../ledger/ledger';
import { requirePrincipal } from '../principals/principals';
import { RetentionRejected, rethrow } from './errors';

/** Legal holds: placed and released (four-eyes) with a `compliance` ledger event each; no expiry. */

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
  await requirePrincipal(db, placedBy, 'hold.place');
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
  await requirePrincipal(db, releasedBy, 'hold.release');
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
