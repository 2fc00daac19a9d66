import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonical-json';
import { signBytes, verifyBytes, type Signer } from '../signing';
import type { ClassPurgeSummary, PurgeCertificate, SignedPurgeCertificate } from './types';

/** Folds a class's batch digests (hex, in batch order) into one SHA-256 (hex). */
export function foldDigests(digests: Array<string | null>): string | null {
  const present = digests.filter((d): d is string => Boolean(d));
  if (present.length === 0) return null;
  const h = createHash('sha256');
  for (const d of present) h.update(Buffer.from(d, 'hex'));
  return h.digest('hex');
}

/** Signs the canonical JSON (RFC 8785) of a certificate with Ed25519. */
export function signPurgeCertificate(certificate: PurgeCertificate, signer: Signer): SignedPurgeCertificate {
  const value = signBytes(signer, canonicalJson(certificate)).toString('base64');
  return {
    certificate,
    signature: {
      alg: 'ed25519',
      key_id: signer.keyId,
      public_key: signer.publicKey.toString('base64'),
      value,
    },
  };
}

/** Checks a certificate's signature against a trusted raw public key. */
export function verifyPurgeCertificate(signed: SignedPurgeCertificate, publicKey: Buffer): boolean {
  return verifyBytes(
    publicKey,
    canonicalJson(signed.certificate),
    Buffer.from(signed.signature.value, 'base64'),
  );
}

export type { ClassPurgeSummary };
