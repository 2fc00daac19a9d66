import { canonicalJson } from '../canonical-json';
import { signBytes, verifyBytes, type Signer } from '../signing';
import type { PostureReport } from './types';

/** A posture report with its Ed25519 signature over the report's canonical JSON (RFC 8785). */
export interface SignedPostureReport {
  report: PostureReport;
  signature: { alg: 'ed25519'; key_id: string; public_key: string; value: string };
}

/** Signs a report (not imported by workflows: node:crypto). */
export function signPostureReport(report: PostureReport, signer: Signer): SignedPostureReport {
  return {
    report,
    signature: {
      alg: 'ed25519',
      key_id: signer.keyId,
      public_key: signer.publicKey.toString('base64'),
      value: signBytes(signer, canonicalJson(report)).toString('base64'),
    },
  };
}

/** Checks a report's signature against a trusted raw public key. */
export function verifyPostureReport(signed: SignedPostureReport, publicKey: Buffer): boolean {
  return verifyBytes(publicKey, canonicalJson(signed.report), Buffer.from(signed.signature.value, 'base64'));
}
