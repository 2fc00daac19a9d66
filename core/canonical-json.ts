import { canonicalize } from 'json-canonicalize';

/**
 * RFC 8785 (JCS) canonical JSON. Callers must validate first: the library silently drops
 * `undefined` fields, and hashed data has to be exactly what was validated.
 */
export function canonicalJson(value: unknown): string {
  const out = canonicalize(value) as string | undefined;
  if (out === undefined) throw new TypeError('value cannot be canonicalised as JSON');
  return out;
}
