import { createHash } from 'node:crypto';

/**
 * A UUID derived from a seed (SHA-256, RFC 9562 version 8 layout). Activities use it for ids
 * that must be the same on every retry, e.g. `deterministicUuid(businessEventKey(step) + party)`.
 */
export function deterministicUuid(seed: string): string {
  const b = createHash('sha256').update(seed).digest().subarray(0, 16);
  b[6] = ((b[6] as number) & 0x0f) | 0x80;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
