import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Database } from '../../db/client';
import type { Ledger } from '../../ledger/ledger';
import { InputError } from '../../runtime/errors';
import { isOwnStream, PrincipalError, type Principal } from './authorization';
import { requirePrincipal } from './principals';
import { describeZodError } from '../../core/zod-issues';

/** What a key may do: auditors read, verify and prove; emitters append events for other systems. */
export const ApiRoleSchema = z.enum(['auditor', 'emitter', 'operator', 'reviewer']);
export type ApiRole = z.infer<typeof ApiRoleSchema>;

const EventTypePatternSchema = z
  .string()
  .regex(
    /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?$/,
    'event types are dotted names or a prefix ending in ".*"',
  );

/** What a new key is granted. Emitter keys need at least one stream and one event type. */
export const ApiKeyGrantSchema = z
  .object({
    principalId: z.string().min(1),
    role: ApiRoleSchema,
    streams: z.array(z.string().min(1).max(63)).default([]),
    eventTypes: z.array(EventTypePatternSchema).default([]),
    mayDelegate: z.boolean().default(false),
    expiresAt: z.date().optional(),
  })
  .strict()
  .superRefine((g, ctx) => {
    const own = g.streams.filter(isOwnStream);
    if (own.length)
      ctx.addIssue({
        code: 'custom',
        message: `streams ${own.join(', ')} are ledgerflow's own; no key may append there`,
      });
    if (g.role === 'emitter' && (!g.streams.length || !g.eventTypes.length))
      ctx.addIssue({ code: 'custom', message: 'an emitter key needs --stream and --event-type grants' });
  });
export type ApiKeyGrant = z.input<typeof ApiKeyGrantSchema>;

/** An authenticated API key: its principal (roles = the key's one role) and its grants. */
export interface ApiPrincipal extends Principal {
  keyId: string;
  role: ApiRole;
  streams: string[];
  eventTypes: string[];
  mayDelegate: boolean;
}

const KEY_FORMAT = /^lfk_([0-9a-f]{12})_([A-Za-z0-9_-]{32,})$/;
const digest = (key: string) => createHash('sha256').update(key).digest();

const keyEvent = (
  eventType: string,
  action: string,
  keyId: string,
  by: string,
  payload: Record<string, unknown>,
) => ({
  event_type: eventType,
  actor: { type: 'user' as const, id: by },
  resource: { type: 'api_key', id: keyId },
  action,
  outcome: 'success' as const,
  context: { request: { source: 'cli' as const } },
  payload: payload as Record<string, never>,
});

/**
 * Creates an API key for a known, active principal, acting as the admin `actingAs`; returns the
 * key, shown once (only its hash is stored). The creation is a ledger event (stream `admin`).
 */
export async function createApiKey(
  ledger: Ledger,
  rawGrant: ApiKeyGrant,
  actingAs: string | undefined,
): Promise<{ keyId: string; key: string }> {
  const db = ledger.db;
  const by = (await requirePrincipal(db, actingAs, 'api_key.manage')).id;
  const parsed = ApiKeyGrantSchema.safeParse(rawGrant);
  if (!parsed.success) throw new InputError(describeZodError(parsed.error));
  const g = parsed.data;
  const owner = await db.$client.query<{ deactivated_at: Date | null }>(
    'SELECT deactivated_at FROM principals WHERE id = $1',
    [g.principalId],
  );
  if (!owner.rows[0])
    throw new InputError(
      `unknown principal "${g.principalId}": add it first with "ledgerflow principals add"`,
    );
  if (owner.rows[0].deactivated_at) throw new InputError(`principal "${g.principalId}" is deactivated`);
  const keyId = randomBytes(6).toString('hex');
  const key = `lfk_${keyId}_${randomBytes(24).toString('base64url')}`;
  await db.$client.query(
    `INSERT INTO api_keys (key_id, key_hash, principal_id, role, streams, event_types, may_delegate, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [keyId, digest(key), g.principalId, g.role, g.streams, g.eventTypes, g.mayDelegate, g.expiresAt ?? null],
  );
  await ledger.append(
    keyEvent('api.key_created', 'create', keyId, by, {
      principal_id: g.principalId,
      role: g.role,
      streams: g.streams,
      event_types: g.eventTypes,
      may_delegate: g.mayDelegate,
      expires_at: g.expiresAt?.toISOString() ?? null,
    }),
    { stream: 'admin', idempotencyKey: `api-key:${keyId}:created` },
  );
  return { keyId, key };
}

/** Revokes a key (it stays on record), acting as the admin `actingAs`; a ledger event records it. */
export async function revokeApiKey(
  ledger: Ledger,
  keyId: string,
  actingAs: string | undefined,
): Promise<void> {
  const db = ledger.db;
  const by = (await requirePrincipal(db, actingAs, 'api_key.manage')).id;
  const r = await db.$client.query(
    'UPDATE api_keys SET revoked_at = now() WHERE key_id = $1 AND revoked_at IS NULL',
    [keyId],
  );
  if (!r.rowCount) throw new InputError(`no active API key "${keyId}" (see "ledgerflow api keys list")`);
  await ledger.append(keyEvent('api.key_revoked', 'revoke', keyId, by, {}), {
    stream: 'admin',
    idempotencyKey: `api-key:${keyId}:revoked`,
  });
}

/**
 * Resolves a presented key to its principal and grants. Throws {@link PrincipalError} (kind
 * `missing` or `unknown`) for a missing, malformed, unknown, revoked or expired key, or a key
 * whose principal was deactivated; database errors propagate as themselves.
 */
export async function authenticate(db: Database, presented: string | undefined): Promise<ApiPrincipal> {
  if (!presented) throw new PrincipalError('missing API key (Authorization: Bearer <key>)', 'missing');
  const m = KEY_FORMAT.exec(presented);
  const invalid = () => new PrincipalError('unknown, revoked or expired API key', 'unknown');
  if (!m) throw invalid();
  const r = await db.$client.query<{
    key_hash: Buffer;
    principal_id: string;
    role: string;
    streams: string[];
    event_types: string[];
    may_delegate: boolean;
  }>(
    `SELECT k.key_hash, k.principal_id, k.role, k.streams, k.event_types, k.may_delegate
       FROM api_keys k JOIN principals p ON p.id = k.principal_id
      WHERE k.key_id = $1 AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())
        AND p.deactivated_at IS NULL`,
    [m[1]],
  );
  const row = r.rows[0];
  if (!row || !timingSafeEqual(row.key_hash, digest(presented))) throw invalid();
  const role = ApiRoleSchema.safeParse(row.role);
  if (!role.success) throw invalid();
  return {
    keyId: m[1] as string,
    id: row.principal_id,
    roles: [role.data],
    active: true,
    role: role.data,
    streams: row.streams,
    eventTypes: row.event_types,
    mayDelegate: row.may_delegate,
  };
}

/** Whether `eventType` matches one of the key's granted patterns (exact, or `prefix.*`). */
export function eventTypeGranted(patterns: readonly string[], eventType: string): boolean {
  return patterns.some((p) => (p.endsWith('.*') ? eventType.startsWith(p.slice(0, -1)) : p === eventType));
}

/** A stored key's record (never the key itself). */
export interface ApiKeyRecord {
  key_id: string;
  principal_id: string;
  role: string;
  streams: string[];
  event_types: string[];
  may_delegate: boolean;
  created_at: Date | null;
  expires_at: Date | null;
  revoked_at: Date | null;
}

/** All API keys, oldest first, without their secrets. */
export async function listApiKeys(db: Database): Promise<ApiKeyRecord[]> {
  const r = await db.$client.query<ApiKeyRecord>(
    `SELECT key_id, principal_id, role, streams, event_types, may_delegate, created_at, expires_at, revoked_at
       FROM api_keys ORDER BY created_at`,
  );
  return r.rows;
}
