import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json';
import type { CommittedEvent } from './audit-event';

export const GENESIS_HASH = Buffer.alloc(32);
export const SALT_BYTES = 16;

/** Salted payload digest: `SHA-256(salt || canonical(payload))`. A purge removes salt and payload together. */
export function payloadDigest(salt: Buffer, canonicalPayload: string): Buffer {
  return createHash('sha256').update(salt).update(canonicalPayload, 'utf8').digest();
}

/** The exact bytes hashed for an event's envelope: RFC 8785 canonical JSON of the committed fields. */
export function canonicalEnvelope(e: CommittedEvent): string {
  return canonicalJson({
    stream: e.stream,
    event_id: e.event_id,
    event_type: e.event_type,
    actor: e.actor,
    occurred_at: e.occurred_at,
    resource: e.resource,
    action: e.action,
    outcome: e.outcome,
    subject_id: e.subject_id,
    case_id: e.case_id,
    context: e.context,
    schema_version: e.schema_version,
    idempotency_key: e.idempotency_key,
  });
}

function seqBytes(seq: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(seq));
  return b;
}

/** `hash = SHA-256(prev_hash || seq as u64 big-endian || canonical(envelope) || payload_digest)`. */
export function chainHash(prevHash: Buffer, seq: number, envelope: string, digest: Buffer): Buffer {
  return createHash('sha256')
    .update(prevHash)
    .update(seqBytes(seq))
    .update(envelope, 'utf8')
    .update(digest)
    .digest();
}
