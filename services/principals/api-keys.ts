import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Database } from '../../db/client';
import type { Ledger } from '../../ledger/ledger';
import { InputError } from '../../runtime/errors';

/** What a key may do: auditors read, verify and prove; emitters append events for other systems. */
export const ApiRoleSchema = z.enum(['auditor', 'emitter']);
export type ApiRole = z.infer<typeof ApiRoleSchema>;

export interface ApiPrincipal {
  keyId: string;
  principalId: string;
  role: ApiRole;
}

const KEY_FORMAT = /^lfk_([0-9a-f]{12})_([A-Za-z0-9_-]{32,})$/;
const digest = (key: string) => createHash('sha256').update(key).digest();

/**
 * Creates an API key for a known principal; returns the key, shown once (only its hash is stored).
 * The creation is a ledger event.
 */
export async function createApiKey(
  ledger: Ledger,
  principalId: string,
  role: ApiRole,
  createdBy: string,
): Promise<{ keyId: string; key: string }> {
  const db = ledger.db;
  const known = await db.$client
    .query('SELECT 1 FROM principals WHERE id = $1', [principalId])
    .catch(() => ({ rowCount: 0 }));
  if (!known.rowCount)
    throw new InputError(`unknown principal "${principalId}": add it first with "ledgerflow principals add"`);
  const keyId = randomBytes(6).toString('hex');
  const key = `lfk_${keyId}_${randomBytes(24).toString('base64url')}`;
  await db.$client.query(
    'INSERT INTO api_keys (key_id, key_hash, principal_id, role) VALUES ($1, $2, $3, $4)',
    [keyId, digest(key), principalId, role],
  );
  await ledger.append(
    {
      event_type: 'api.key_created',
      actor: { type: 'user', id: createdBy },
      resource: { type: 'api_key', id: keyId },
      action: 'create',
      outcome: 'success',
      context: { request: { source: 'cli' } },
      payload: { principal_id: principalId, role },
    },
    { idempotencyKey: `api-key:${keyId}:created` },
  );
  return { keyId, key };
}

/** Revokes a key (it stays on record); a ledger event records who did it. */
export async function revokeApiKey(ledger: Ledger, keyId: string, revokedBy: string): Promise<void> {
  const db = ledger.db;
  const r = await db.$client.query(
    'UPDATE api_keys SET revoked_at = now() WHERE key_id = $1 AND revoked_at IS NULL',
    [keyId],
  );
  if (!r.rowCount) throw new InputError(`no active API key "${keyId}" (see "ledgerflow api keys list")`);
  await ledger.append(
    {
      event_type: 'api.key_revoked',
      actor: { type: 'user', id: revokedBy },
      resource: { type: 'api_key', id: keyId },
      action: 'revoke',
      outcome: 'success',
      context: { request: { source: 'cli' } },
    },
    { idempotencyKey: `api-key:${keyId}:revoked` },
  );
}

/** Resolves a presented key to its principal and role, or undefined when unknown or revoked. */
export async function authenticate(
  db: Database,
  presented: string | undefined,
): Promise<ApiPrincipal | undefined> {
  const m = presented ? KEY_FORMAT.exec(presented) : null;
  if (!m || !presented) return undefined;
  const r = await db.$client.query<{ key_hash: Buffer; principal_id: string; role: string }>(
    'SELECT key_hash, principal_id, role FROM api_keys WHERE key_id = $1 AND revoked_at IS NULL',
    [m[1]],
  );
  const row = r.rows[0];
  if (!row || !timingSafeEqual(row.key_hash, digest(presented))) return undefined;
  const role = ApiRoleSchema.safeParse(row.role);
  return role.success ? { keyId: m[1] as string, principalId: row.principal_id, role: role.data } : undefined;
}

/** A stored key's record (never the key itself). */
export interface ApiKeyRecord {
  key_id: string;
  principal_id: string;
  role: string;
  created_at: Date | null;
  revoked_at: Date | null;
}

/** All API keys, oldest first, without their secrets. */
export async function listApiKeys(db: Database): Promise<ApiKeyRecord[]> {
  const r = await db.$client.query<ApiKeyRecord>(
    'SELECT key_id, principal_id, role, created_at, revoked_at FROM api_keys ORDER BY created_at',
  );
  return r.rows;
}
