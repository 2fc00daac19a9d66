import { createHash } from 'node:crypto';
import type { Ledger } from '../../ledger/ledger';
import type { PrincipalError } from './authorization';

/** Where a request came from: the CLI, or the API with the client's address. */
export interface DenialSource {
  channel: 'cli' | 'api';
  ip?: string;
  requestId?: string;
}

const ACCESS_STREAM = 'access';
const MAX_CLAIMS = 5;
const MAX_CLAIM_LENGTH = 64;

/** Denials without valid credentials, per source, since the process started (metrics come later). */
const unauthenticated = new Map<string, number>();
/** Denials of known principals, per principal, action and channel, since the process started. */
const authenticated = new Map<string, number>();

/** In-memory count of denials without valid credentials, by source key (`cli`, `api:<ip hash>`). */
export function unauthenticatedDenials(): ReadonlyMap<string, number> {
  return unauthenticated;
}

const sourceKey = (s: DenialSource) =>
  s.channel === 'cli'
    ? 'cli'
    : `api:${createHash('sha256')
        .update(s.ip ?? '')
        .digest('hex')
        .slice(0, 16)}`;

/**
 * Records a denial. A known principal's denial is an `access.denied` event (actor: that
 * principal), at most one per principal, action and channel per minute (the idempotency key is
 * the minute): a principal retrying a refused request in a loop is on record once per minute,
 * the rest counted in memory, so a flood cannot grow the ledger. A denial without valid
 * credentials is counted, and summarised in at most one `access.denied.summary` event per source
 * per minute, with the claimed identity only in the purgeable payload, so nobody can grow the
 * ledger or write names into its permanent fields by guessing.
 */
export async function recordDenial(ledger: Ledger, err: PrincipalError, source: DenialSource): Promise<void> {
  const request = {
    source: source.channel,
    ...(source.requestId ? { request_id: source.requestId } : {}),
  };
  const minute = new Date().toISOString().slice(0, 16);
  if (err.kind === 'inactive' || err.kind === 'forbidden') {
    const who = `${err.claimedId ?? 'unknown'}:${err.action ?? 'unknown'}:${source.channel}`;
    const count = (authenticated.get(who) ?? 0) + 1;
    authenticated.set(who, count);
    await ledger.append(
      {
        event_type: 'access.denied',
        actor: { type: 'user', id: err.claimedId ?? 'unknown' },
        resource: { type: 'action', id: err.action ?? 'unknown' },
        action: 'authorize',
        outcome: 'denied',
        context: { request },
        payload: { reason: err.kind, minute, denials_in_process: count },
      },
      { stream: ACCESS_STREAM, idempotencyKey: `access-denied:${who}:${minute}` },
    );
    return;
  }
  const key = sourceKey(source);
  const count = (unauthenticated.get(key) ?? 0) + 1;
  unauthenticated.set(key, count);
  await ledger.append(
    {
      event_type: 'access.denied.summary',
      actor: { type: 'system', id: 'ledgerflow' },
      resource: { type: 'access_source', id: key },
      action: 'summarise',
      outcome: 'denied',
      context: { request: { source: source.channel } },
      payload: {
        minute,
        reason: err.kind,
        action: err.action ?? null,
        denials_in_process: count,
        claimed: err.claimedId ? [err.claimedId.slice(0, MAX_CLAIM_LENGTH)].slice(0, MAX_CLAIMS) : [],
        ...(source.ip ? { ip: source.ip } : {}),
      },
    },
    { stream: ACCESS_STREAM, idempotencyKey: `access-denied-summary:${key}:${minute}` },
  );
}
