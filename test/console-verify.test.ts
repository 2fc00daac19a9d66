import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalEnvelope, chainHash, GENESIS_HASH } from '../core/hash-chain';
import { headBody, signHead } from '../core/ledger-head';
import { leafHash, MemoryMerkleTree } from '../core/merkle';
import { formatTrustedKeys, signerFrom } from '../core/signing';
import { eventHash, rootFromInclusion, verifyEventProof, type ServedEvent } from '../console/verify';
import { parseKeysText } from '../console/keys';
import { browserOrSkip, chromiumPath } from './support/browser';

// The console's browser verifier (WebCrypto, run here on Node's WebCrypto) against the spec's
// RFC 6962 vectors and the server-side implementation in core/.

const vectors = JSON.parse(
  readFileSync(path.join(__dirname, 'fixtures', 'rfc6962', 'vectors.json'), 'utf8'),
) as { leaf_inputs_hex: string[]; root_hashes_hex: string[] };
const u8 = (b: Buffer) => new Uint8Array(b);
const hex = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString('hex');

describe('console verifier', () => {
  it('walks every audit path to the RFC 6962 reference roots and to core/merkle roots', async () => {
    const leaves = vectors.leaf_inputs_hex.map((h) => leafHash(Buffer.from(h, 'hex')));
    for (let n = 1; n <= leaves.length; n++) {
      const tree = new MemoryMerkleTree(leaves.slice(0, n));
      for (let i = 0; i < n; i++) {
        const root = await rootFromInclusion(i, n, u8(leaves[i] as Buffer), tree.inclusionProof(i).map(u8));
        expect(hex(root), `leaf ${i} of ${n}`).toBe(vectors.root_hashes_hex[n]);
      }
    }
    // Larger trees, and a path of the wrong length is refused.
    const many = Array.from({ length: 37 }, (_, i) => leafHash(Buffer.from([i])));
    const tree = new MemoryMerkleTree(many);
    for (let i = 0; i < 37; i++) {
      const proof = tree.inclusionProof(i).map(u8);
      expect(hex(await rootFromInclusion(i, 37, u8(many[i] as Buffer), proof))).toBe(
        tree.root().toString('hex'),
      );
      expect(await rootFromInclusion(i, 37, u8(many[i] as Buffer), proof.slice(1))).toBeUndefined();
    }
  });

  it('recomputes event hashes as core/hash-chain does, also for non-ASCII and nested members', async () => {
    const e: ServedEvent = {
      stream: 'payments',
      seq: 3,
      event_id: '0b0f4a1e-3c8d-4b6f-9c1a-2f1d4e5a6b7c',
      event_type: 'test.event_recorded',
      occurred_at: '2026-03-01T10:00:00.123456Z',
      actor: { type: 'user', id: 'zoë <script>' },
      resource: { type: 'note', id: '€ 1e3 \u2028' },
      action: 'record',
      outcome: 'success',
      subject_id: null,
      case_id: 'case-1',
      context: { workflow_id: 'wf', attempt: 2, nested: { b: 1.5, a: [true, null] } },
      schema_version: 1,
      idempotency_key: 'k-1',
      payload_digest: 'cd'.repeat(32),
      prev_hash: 'ab'.repeat(32),
      hash: '',
    };
    const expected = chainHash(
      Buffer.from(e.prev_hash, 'hex'),
      e.seq,
      canonicalEnvelope(e as never),
      Buffer.from(e.payload_digest, 'hex'),
    );
    expect(hex(await eventHash(e))).toBe(expected.toString('hex'));
    expect(hex(await eventHash({ ...e, seq: 1, prev_hash: GENESIS_HASH.toString('hex') }))).toBe(
      chainHash(
        GENESIS_HASH,
        1,
        canonicalEnvelope(e as never),
        Buffer.from(e.payload_digest, 'hex'),
      ).toString('hex'),
    );
  });

  it('accepts a head signed by a pinned key (Ed25519 in WebCrypto) and refuses others', async () => {
    const signer = signerFrom(generateKeyPairSync('ed25519').privateKey);
    const other = signerFrom(generateKeyPairSync('ed25519').privateKey);
    const event: ServedEvent = {
      stream: 's',
      seq: 1,
      event_id: '0b0f4a1e-3c8d-4b6f-9c1a-2f1d4e5a6b7c',
      event_type: 't.x',
      occurred_at: '2026-03-01T10:00:00.000000Z',
      actor: { type: 'user', id: 'u' },
      resource: { type: 'r', id: 'r' },
      action: 'a',
      outcome: 'success',
      subject_id: null,
      case_id: null,
      context: {},
      schema_version: 1,
      idempotency_key: 'k',
      payload_digest: '11'.repeat(32),
      prev_hash: '00'.repeat(32),
      hash: '',
    };
    event.hash = hex(await eventHash(event));
    const second = leafHash(Buffer.alloc(32, 7));
    const tree = new MemoryMerkleTree([leafHash(Buffer.from(event.hash, 'hex')), second]);
    const head = {
      version: 1,
      previous: '0'.repeat(64),
      timestamp: '2026-03-01T10:00:01.000000Z',
      streams: [{ stream: 's', treeSize: 2, rootHash: tree.root() }],
    };
    const text = signHead(head, signer);
    expect(text.startsWith(headBody(head))).toBe(true);
    const proof = {
      stream: 's',
      seq: 1,
      leafIndex: 0,
      treeSize: 2,
      proof: tree.inclusionProof(0).map((b) => b.toString('hex')),
    };
    const pinned = await parseKeysText(formatTrustedKeys([signer]));
    const ok = await verifyEventProof(event, proof, text, pinned);
    expect(ok).toMatchObject({ ok: true, keyId: signer.keyId, headVersion: 1 });
    const wrongKey = await verifyEventProof(
      event,
      proof,
      text,
      await parseKeysText(formatTrustedKeys([other])),
    );
    expect(wrongKey).toMatchObject({ ok: false });
    // A signature by another key presented under the pinned key's id does not verify.
    const forged = signHead(head, other).replace(other.keyId, signer.keyId);
    expect(await verifyEventProof(event, proof, forged, pinned)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('does not verify'),
    });
    await expect(
      parseKeysText(`ed25519 ${other.keyId} ${signer.publicKey.toString('base64')}`),
    ).rejects.toThrow('does not match its public key');
  });
});

describe('the browser the console tests drive', () => {
  it('is found at CHROMIUM_PATH; when missing, CI=true fails the run instead of skipping', () => {
    expect(chromiumPath({ CHROMIUM_PATH: process.execPath })).toBe(process.execPath);
    expect(chromiumPath({ CHROMIUM_PATH: '/nonexistent/chromium' })).toBeUndefined();
    expect(browserOrSkip({ CHROMIUM_PATH: '/nonexistent/chromium' })).toBeUndefined();
    expect(() => browserOrSkip({ CHROMIUM_PATH: '/nonexistent/chromium', CI: 'true' })).toThrow(
      'CI=true and no Chromium found',
    );
  });
});
