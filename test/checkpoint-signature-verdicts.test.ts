import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  parseCheckpoint,
  preverifyCheckpointSignatures,
  signCheckpoint,
  verifyCheckpointSignature,
} from '../core/checkpoint';
import { headCheckpoints, parseHead, signHead } from '../core/ledger-head';
import { signerFrom, type PublicKeyInfo } from '../core/signing';

const a = signerFrom(generateKeyPairSync('ed25519').privateKey);
const b = signerFrom(generateKeyPairSync('ed25519').privateKey);
const trusted = new Map<string, PublicKeyInfo>([[a.keyId, a]]);
// A's key id pinned to another key: a verdict reached with A's key must not count for it.
const impostor = new Map<string, PublicKeyInfo>([[a.keyId, { keyId: a.keyId, publicKey: b.publicKey }]]);
const root = Buffer.alloc(32, 7);
const timestamp = '2026-12-02T16:00:00.000000Z';
const checkpoint = () =>
  parseCheckpoint(signCheckpoint({ stream: 's', treeSize: 3, rootHash: root, timestamp }, a));

describe('signature verdicts made ahead on the thread pool', () => {
  it('are the verdicts made on this thread, for the key and body they were made for only', async () => {
    const cp = checkpoint();
    await preverifyCheckpointSignatures([cp], trusted);
    expect(verifyCheckpointSignature(cp, trusted)).toEqual({ ok: true, keyId: a.keyId });
    expect(verifyCheckpointSignature(cp, impostor)).toMatchObject({ ok: false });
    expect(
      verifyCheckpointSignature(
        { body: cp.body.replace('\n3\n', '\n4\n'), signatures: cp.signatures },
        trusted,
      ),
    ).toMatchObject({ ok: false, reason: `signature by key ${a.keyId} does not verify` });
    // and the other way round: a verdict made for the impostor key first
    const cp2 = checkpoint();
    await preverifyCheckpointSignatures([cp2], impostor);
    expect(verifyCheckpointSignature(cp2, impostor)).toMatchObject({ ok: false });
    expect(verifyCheckpointSignature(cp2, trusted)).toEqual({ ok: true, keyId: a.keyId });
  });

  it('report a forged or untrusted signature as before', async () => {
    const text = signCheckpoint({ stream: 's', treeSize: 3, rootHash: root, timestamp }, a);
    const forged = parseCheckpoint(text.replace('\n3\n', '\n9\n'));
    const byB = parseCheckpoint(signCheckpoint({ stream: 's', treeSize: 3, rootHash: root, timestamp }, b));
    await preverifyCheckpointSignatures([forged, byB], trusted);
    expect(verifyCheckpointSignature(forged, trusted)).toEqual({
      ok: false,
      reason: `signature by key ${a.keyId} does not verify`,
    });
    expect(verifyCheckpointSignature(byB, trusted)).toEqual({
      ok: false,
      reason: `signed by key ${b.keyId}, which is not trusted`,
    });
  });

  it("check a head's signature once for all its streams, with the same verdict for each", async () => {
    const streams = ['x', 'y', 'z'].map((stream, i) => ({ stream, treeSize: i + 1, rootHash: root }));
    const head = parseHead(signHead({ version: 1, previous: '0'.repeat(64), timestamp, streams }, a));
    const cps = headCheckpoints(head);
    expect(new Set(cps.map((c) => c.signatures)).size).toBe(1);
    await preverifyCheckpointSignatures(cps, trusted);
    for (const c of cps) expect(verifyCheckpointSignature(c, trusted)).toEqual({ ok: true, keyId: a.keyId });
    const tampered = parseHead(
      signHead({ version: 1, previous: '0'.repeat(64), timestamp, streams }, a).replace('\nx 1 ', '\nx 2 '),
    );
    const bad = headCheckpoints(tampered);
    await preverifyCheckpointSignatures(bad, trusted);
    for (const c of bad) expect(verifyCheckpointSignature(c, trusted)).toMatchObject({ ok: false });
  });
});
