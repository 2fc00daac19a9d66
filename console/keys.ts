import { fromBase64, sha256, toHex } from './bytes';

/** A pinned Ed25519 public key, named by its recomputed key id. */
export interface PinnedKey {
  keyId: string;
  /** Standard base64 of the raw 32-byte public key. */
  publicKey: string;
}

/** Key id per docs/ledger-format.md#keys: hex of the first 8 bytes of SHA-256(raw public key). */
export async function keyIdOf(raw: Uint8Array): Promise<string> {
  return toHex((await sha256(raw)).subarray(0, 8));
}

/**
 * Parses trusted-keys text (`ed25519 <key id> <base64 key>` per line, `#` comments). Every key id
 * is recomputed; a mismatch or a malformed line throws an Error naming the line.
 */
export async function parseKeysText(text: string): Promise<PinnedKey[]> {
  const out: PinnedKey[] = [];
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^ed25519\s+([0-9a-f]{16})\s+([A-Za-z0-9+/]{43}=)$/.exec(line);
    const key = m ? fromBase64(m[2] as string) : undefined;
    if (!m || !key || key.length !== 32)
      throw new Error(`line ${i + 1}: expected "ed25519 <16 hex key id> <base64 public key>"`);
    const keyId = await keyIdOf(key);
    if (keyId !== m[1])
      throw new Error(`line ${i + 1}: key id ${m[1]} does not match its public key (${keyId})`);
    out.push({ keyId, publicKey: m[2] as string });
  }
  if (out.length === 0) throw new Error('no key lines found');
  return out;
}

/** Ed25519 verification with WebCrypto; false (never a throw) for a malformed key or signature. */
export async function verifyEd25519(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  try {
    const key = await crypto.subtle.importKey(
      'raw',
      publicKey as Uint8Array<ArrayBuffer>,
      { name: 'Ed25519' },
      false,
      ['verify'],
    );
    return await crypto.subtle.verify(
      { name: 'Ed25519' },
      key,
      signature as Uint8Array<ArrayBuffer>,
      message as Uint8Array<ArrayBuffer>,
    );
  } catch {
    return false;
  }
}
