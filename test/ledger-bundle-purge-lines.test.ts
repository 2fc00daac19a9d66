import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signerFrom, type PublicKeyInfo } from '../core/signing';
import { exportBundle, verifyBundle } from '../ledger/bundle';
import { checkBundleChunk } from '../ledger/bundle-chunk';
import { parseBundleLine } from '../ledger/bundle-line';
import { PurgeScan } from '../ledger/bundle-purge-scan';
import { createLedger } from '../ledger/ledger';
import { PURGE_EVENT_TYPE } from '../ledger/purge-events';
import { LineChunker } from '../ledger/line-chunks';
import { createTestDatabase, sampleEvent, type TestDatabase } from './support';
import { sanctionedPurge } from './support/honest-bundle';

/**
 * The workers report the lines whose event_type is the purge type (BundleSegment.purgeLines), so
 * the main thread no longer searches every chunk for it: those lines must be exactly the ones the
 * search finds and parses as purge events, whatever the chunk cut, and a chunk with a dirty
 * segment falls back to the search.
 */

let t: TestDatabase;
let dir: string;
const signer = signerFrom(generateKeyPairSync('ed25519').privateKey);
const pinned = new Map<string, PublicKeyInfo>([[signer.keyId, signer]]);

beforeAll(async () => {
  t = await createTestDatabase();
  dir = mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-bundle-purge-lines-'));
  const ledger = createLedger(t.connect(), { signer, checkpointEvery: 4 });
  for (const stream of ['alpha', 'zulu'])
    await ledger.appendMany(
      Array.from({ length: 8 }, (_, i) => ({
        // A payload that names the purge type: found by the search, not a purge event.
        event: sampleEvent({ payload: { i, note: i === 3 ? PURGE_EVENT_TYPE : 'n' } }),
        idempotencyKey: `${stream}-${i}`,
      })),
      { stream },
    );
  await sanctionedPurge(t, ledger, 'alpha', [2]);
  await sanctionedPurge(t, ledger, 'zulu', [3, 5], {
    purgeRunId: 'run-z',
    dataClass: 'ledger_payloads',
    batchNo: 2,
  });
  await ledger.head();
  await exportBundle(t.connect('ledgerflow_reader'), path.join(dir, 'b'));
});
afterAll(async () => {
  await t.drop();
  rmSync(dir, { recursive: true, force: true });
});

const purgeTyped = (lines: string[]) =>
  lines.filter((l) => {
    const p = parseBundleLine(l);
    return 'event' in p && p.event.event_type === PURGE_EVENT_TYPE;
  });

function chunksOf(bytes: Buffer, size: number): Buffer[] {
  const chunker = new LineChunker(size);
  const out = chunker.push(bytes).map((c) => Buffer.from(c));
  const last = chunker.end();
  return last ? [...out, Buffer.from(last)] : out;
}

describe('purge lines found by the chunk checker', () => {
  it('are the purge events the search finds, in any chunk cut', () => {
    const events = readFileSync(path.join(dir, 'b/events.jsonl'));
    const all = purgeTyped(PurgeScan.candidates(events));
    expect(all).toHaveLength(2);
    for (const size of [1, 300, 700, 1500, 4096, 1 << 20]) {
      const found: string[] = [];
      for (const chunk of chunksOf(events, size)) {
        const segments = checkBundleChunk(chunk);
        expect(segments.every((s) => s.stream !== null)).toBe(true);
        const lines = PurgeScan.checkedCandidates(chunk, segments);
        expect(lines).toEqual(purgeTyped(PurgeScan.candidates(chunk)));
        found.push(...lines);
      }
      expect(found).toEqual(all);
    }
  });

  it('fall back to the search when a chunk holds a dirty segment or was read line by line', () => {
    const events = readFileSync(path.join(dir, 'b/events.jsonl'), 'utf8');
    const edited = Buffer.from(events.replace('"action":', '"action": '));
    const segments = checkBundleChunk(edited);
    expect(segments.some((s) => s.stream === null)).toBe(true);
    expect(PurgeScan.checkedCandidates(edited, segments)).toEqual(PurgeScan.candidates(edited));
    expect(PurgeScan.checkedCandidates(edited, null)).toEqual(PurgeScan.candidates(edited));
  });

  it('give the verdicts of a coverage pass of its own on two workers, in small chunks', async () => {
    const b = path.join(dir, 'b');
    const reference = await verifyBundle(b, { trustedKeys: pinned, workers: 0, coverageFirst: true });
    expect(reference.valid).toBe(true);
    for (const chunkBytes of [300, 1500])
      expect(await verifyBundle(b, { trustedKeys: pinned, workers: 2, chunkBytes })).toEqual(reference);
  });
});
