import { hash } from 'node:crypto';

// One buffer, reused: the hash inputs of an event are written into it instead of being
// allocated and concatenated per event (most of the append path's garbage).
let scratch = Buffer.allocUnsafe(64 * 1024);

function room(bytes: number): Buffer {
  if (scratch.length < bytes) scratch = Buffer.allocUnsafe(Math.max(bytes, scratch.length * 2));
  return scratch;
}

const sha256 = (data: Buffer): Buffer => hash('sha256', data, 'buffer') as unknown as Buffer;

/** {@link payloadDigest} of core/hash-chain.ts (`SHA-256(salt || canonical payload)`), same bytes. */
export function saltedDigest(salt: Buffer, canonicalPayload: string): Buffer {
  const b = room(salt.length + canonicalPayload.length * 3);
  salt.copy(b, 0);
  const end = salt.length + b.write(canonicalPayload, salt.length, 'utf8');
  return sha256(b.subarray(0, end));
}

/**
 * {@link chainHash} of core/hash-chain.ts over the envelope `head + occurredAt + tail`
 * (`SHA-256(prev || seq u64 big-endian || envelope || digest)`), same bytes, without building
 * the envelope string.
 */
export function chainHashAround(
  prev: Buffer,
  seq: number,
  head: string,
  occurredAt: string,
  tail: string,
  digest: Buffer,
): Buffer {
  const b = room(prev.length + 8 + (head.length + occurredAt.length + tail.length) * 3 + digest.length);
  let o = prev.copy(b, 0);
  b.writeUInt32BE(Math.floor(seq / 0x100000000), o);
  b.writeUInt32BE(seq >>> 0, o + 4);
  o += 8;
  o += b.write(head, o, 'utf8');
  o += b.write(occurredAt, o, 'utf8');
  o += b.write(tail, o, 'utf8');
  o += digest.copy(b, o);
  return sha256(b.subarray(0, o));
}
