import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/**
 * Ed25519 keys for checkpoint signatures. A key is named by its id: the first 8 bytes of
 * SHA-256 over the raw 32-byte public key, in hex. Trusted (pinned) keys are kept in a text
 * file with one line per key: `ed25519 <key id> <base64 raw public key>`; `#` starts a comment.
 */

/** A public key with its id. */
export interface PublicKeyInfo {
  keyId: string;
  /** Raw 32-byte Ed25519 public key. */
  publicKey: Buffer;
}

/** A private key ready to sign with. */
export interface Signer extends PublicKeyInfo {
  privateKey: KeyObject;
}

/** `hex(SHA-256(raw public key)[0..8])`. */
export function keyIdOf(rawPublicKey: Buffer): string {
  return createHash('sha256').update(rawPublicKey).digest().subarray(0, 8).toString('hex');
}

/** The raw 32 bytes of an Ed25519 public (or private) KeyObject's public half. */
export function rawPublicKey(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const jwk = pub.export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || !jwk.x) throw new TypeError('not an Ed25519 key');
  return Buffer.from(jwk.x, 'base64url');
}

/** A KeyObject for a raw 32-byte Ed25519 public key. */
export function publicKeyFromRaw(raw: Buffer): KeyObject {
  if (raw.length !== 32) throw new TypeError(`an Ed25519 public key has 32 bytes, got ${raw.length}`);
  return createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
    format: 'jwk',
  });
}

/** Builds a {@link Signer} from a private KeyObject. */
export function signerFrom(privateKey: KeyObject): Signer {
  const publicKey = rawPublicKey(privateKey);
  return { keyId: keyIdOf(publicKey), publicKey, privateKey };
}

export function signBytes(signer: Signer, data: Buffer | string): Buffer {
  return sign(null, Buffer.from(data), signer.privateKey);
}

/** Key objects of the few public keys in use, imported once instead of for every verification. */
const KEY_OBJECTS = new Map<string, KeyObject>();

function verifyingKey(raw: Buffer): KeyObject {
  const id = raw.toString('base64');
  let k = KEY_OBJECTS.get(id);
  if (!k) {
    k = publicKeyFromRaw(raw);
    if (KEY_OBJECTS.size >= 64) KEY_OBJECTS.clear();
    KEY_OBJECTS.set(id, k);
  }
  return k;
}

export function verifyBytes(publicKey: Buffer, data: Buffer | string, signature: Buffer): boolean {
  try {
    return verify(null, Buffer.from(data), verifyingKey(publicKey), signature);
  } catch {
    return false;
  }
}

/** {@link verifyBytes} on libuv's thread pool (Node's callback form of `crypto.verify`). */
export function verifyBytesAsync(
  publicKey: Buffer,
  data: Buffer | string,
  signature: Buffer,
): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      verify(null, Buffer.from(data), verifyingKey(publicKey), signature, (err, ok) => resolve(!err && ok));
    } catch {
      resolve(false);
    }
  });
}

/** One line of a trusted-keys file. */
export function formatKeyLine(k: PublicKeyInfo): string {
  return `ed25519 ${k.keyId} ${k.publicKey.toString('base64')}`;
}

/** Serialises keys in the trusted-keys file format. */
export function formatTrustedKeys(keys: PublicKeyInfo[], header?: string): string {
  const lines = header ? header.split('\n').map((l) => `# ${l}`) : [];
  return `${[...lines, ...keys.map(formatKeyLine)].join('\n')}\n`;
}

/**
 * Parses a trusted-keys file. Every key id is recomputed from its public key; a mismatch is an
 * error, so a file cannot claim one id for another key.
 */
export function parseTrustedKeys(text: string): Map<string, PublicKeyInfo> {
  const out = new Map<string, PublicKeyInfo>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = /^ed25519\s+([0-9a-f]{16})\s+([A-Za-z0-9+/]{43}=)$/.exec(line);
    if (!m)
      throw new TypeError(
        `trusted keys line ${i + 1}: expected "ed25519 <16 hex key id> <base64 public key>"`,
      );
    const publicKey = Buffer.from(m[2] as string, 'base64');
    const keyId = keyIdOf(publicKey);
    if (keyId !== m[1])
      throw new TypeError(
        `trusted keys line ${i + 1}: key id ${m[1]} does not match its public key (${keyId})`,
      );
    out.set(keyId, { keyId, publicKey });
  });
  return out;
}
