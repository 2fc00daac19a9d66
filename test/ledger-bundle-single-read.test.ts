import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signerFrom, type PublicKeyInfo } from '../core/signing';
import { exportBundle, verifyBundle } from '../ledger/bundle';
import { createLedger } from '../ledger/ledger';
import { PURGE_EVENT_TYPE } from '../ledger/purge-events';
import { createTestDatabase, sampleEvent, type TestDatabase } from './support';
import { sanctionedPurge } from './support/honest-bundle';

/**
 * verify-bundle reads events.jsonl once: the purge coverage is gathered in the same read that
 * verifies (and hashes) the lines. Its verdicts must be those of the reference order, a coverage
 * pass of its own first (`coverageFirst`), also where a purged stream sorts before the purge
 * stream (`alpha` before `compliance`: its purge event is read after the purged line) and where
 * it sorts after (`zulu`), on honest lines and on single-byte edits anywhere.
 */

let t: TestDatabase;
let dir: string;
let work: string;
const signer = signerFrom(generateKeyPairSync('ed25519').privateKey);
const pinned = new Map<string, PublicKeyInfo>([[signer.keyId, signer]]);

beforeAll(async () => {
  t = await createTestDatabase();
  dir = mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-bundle-single-read-'));
  const ledger = createLedger(t.connect(), { signer, checkpointEvery: 4 });
  for (const stream of ['alpha', 'zulu'])
    await ledger.appendMany(
      Array.from({ length: 6 }, (_, i) => ({
        event: sampleEvent({ payload: { i, note: 'n' } }),
        idempotencyKey: `${stream}-${i}`,
      })),
      { stream },
    );
  await sanctionedPurge(t, ledger, 'alpha', [2]);
  await sanctionedPurge(t, ledger, 'zulu', [3], {
    purgeRunId: 'run-z',
    dataClass: 'ledger_payloads',
    batchNo: 2,
  });
  await ledger.head();
  await exportBundle(t.connect('ledgerflow_reader'), path.join(dir, 'b'));
  work = path.join(dir, 'w');
  await exportBundle(t.connect('ledgerflow_reader'), work);
});
afterAll(async () => {
  await t.drop();
  rmSync(dir, { recursive: true, force: true });
});

const honest = () => readFileSync(path.join(dir, 'b/events.jsonl'));

type Verdict = ReturnType<typeof verdict>;
const verdict = (r: Awaited<ReturnType<typeof verifyBundle>>) => ({
  valid: r.valid,
  stream: r.stream,
  fault: r.fault,
  firstBadSeq: r.firstBadSeq,
  detail: r.detail,
  eventsChecked: r.eventsChecked,
  manifestOk: r.manifestOk,
  streams: r.streams.map((s) => [
    s.stream,
    s.valid,
    s.fault,
    s.firstBadSeq,
    s.eventsChecked,
    s.provenTreeSize,
  ]),
  warnings: r.warnings,
});

/** The verdicts on `text` as events.jsonl: the reference order, the single read here, and in small chunks on a worker. */
async function verdicts(text: Buffer): Promise<{ reference: Verdict; single: Verdict; chunked: Verdict }> {
  writeFileSync(path.join(work, 'events.jsonl'), text);
  const run = async (o: { workers: number; coverageFirst?: boolean; chunkBytes?: number }) =>
    verdict(await verifyBundle(work, { trustedKeys: pinned, ...o }));
  return {
    reference: await run({ workers: 0, coverageFirst: true }),
    single: await run({ workers: 0 }),
    chunked: await run({ workers: 1, chunkBytes: 700 }),
  };
}

describe('verify-bundle in one read of events.jsonl', () => {
  it('accepts the purged payloads of streams before and after the purge stream', async () => {
    const { reference, single, chunked } = await verdicts(honest());
    expect(reference).toMatchObject({ valid: true, manifestOk: true, eventsChecked: 14 });
    expect(single).toEqual(reference);
    expect(chunked).toEqual(reference);
    const lines = honest().toString('utf8').split('\n');
    expect(lines.findIndex((l) => l.includes('"stream":"alpha"'))).toBeLessThan(
      lines.findIndex((l) => l.includes(PURGE_EVENT_TYPE)),
    );
  });

  it('refuses a purge flag once its purge event is gone, as the reference does', async () => {
    const lines = honest().toString('utf8').split('\n');
    const dropped = lines.filter((l) => !(l.includes(PURGE_EVENT_TYPE) && l.includes('alpha')));
    expect(dropped.length).toBe(lines.length - 1);
    const { reference, single, chunked } = await verdicts(Buffer.from(dropped.join('\n')));
    expect(reference).toMatchObject({ valid: false });
    expect(reference.streams.find((s) => s[0] === 'alpha')?.slice(0, 3)).toEqual([
      'alpha',
      false,
      'payload missing',
    ]);
    expect(single).toEqual(reference);
    expect(chunked).toEqual(reference);
  });

  it('refuses a purge event whose resource holds no string id (was a TypeError from the coverage pass)', async () => {
    const lines = honest().toString('utf8').split('\n');
    const edited = lines.map((l) =>
      l.includes(PURGE_EVENT_TYPE) && l.includes('alpha')
        ? l.replace('"resource":{"id":', '"resource":{"ie":')
        : l,
    );
    expect(edited).not.toEqual(lines);
    const { reference, single, chunked } = await verdicts(Buffer.from(edited.join('\n')));
    expect(reference).toMatchObject({
      valid: false,
      stream: 'alpha',
      fault: 'payload missing',
      firstBadSeq: 2,
    });
    expect(reference.streams.find((s) => s[0] === 'compliance')?.slice(0, 2)).toEqual(['compliance', false]);
    expect(single).toEqual(reference);
    expect(chunked).toEqual(reference);
  });

  it('gives the reference verdict on single-byte edits across every line', async () => {
    const base = honest();
    const starts = [0];
    for (let i = base.indexOf(10); i !== -1 && i + 1 < base.length; i = base.indexOf(10, i + 1))
      starts.push(i + 1);
    let edits = 0;
    let refused = 0;
    for (const [k, s] of starts.entries()) {
      const end = (starts[k + 1] ?? base.length) - 1;
      // Every byte of the purge events' lines, a spread of the others.
      const purgeLine = base.subarray(s, end).includes(PURGE_EVENT_TYPE);
      for (let at = s; at <= end; at += purgeLine ? 3 : 29) {
        const text = Buffer.from(base);
        const c = text[at] as number;
        text[at] = c === 0x22 ? 0x27 : c >= 0x21 && c < 0x7e ? c ^ 1 : 0x41;
        const { reference, single, chunked } = await verdicts(text);
        expect(single, `byte ${at}`).toEqual(reference);
        expect(chunked, `byte ${at}`).toEqual(reference);
        edits++;
        if (!reference.valid) refused++;
      }
    }
    expect(edits).toBeGreaterThan(400);
    // The edits are not all harmless: most events-level edits are refused.
    expect(refused).toBeGreaterThan(edits / 2);
  }, 600_000);
});
