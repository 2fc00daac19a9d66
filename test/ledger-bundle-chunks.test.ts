import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../core/canonical-json';
import { canonicalEnvelope, chainHash, payloadDigest } from '../core/hash-chain';
import { signerFrom, type PublicKeyInfo } from '../core/signing';
import { exportBundle, parseBundleLine, verifyBundle } from '../ledger/bundle';
import { checkBundleChunk } from '../ledger/bundle-chunk';
import { chunkNodes } from '../ledger/chunk-nodes';
import { createLedger } from '../ledger/ledger';
import { createTestDatabase, sampleEvent, type TestDatabase } from './support';
import { sanctionedPurge } from './support/honest-bundle';

/**
 * The fast bundle path (byte scanner, chunks checked on their own, worker threads) must reach
 * exactly the verdicts of the line-by-line reference rules: every line it accepts is one
 * parseBundleLine accepts with a recomputing hash, and a bundle verified in small chunks on a
 * worker thread reports the same as one verified in one piece on this thread.
 */

let t: TestDatabase;
let dir: string;
const signer = signerFrom(generateKeyPairSync('ed25519').privateKey);
const pinned = new Map<string, PublicKeyInfo>([[signer.keyId, signer]]);

beforeAll(async () => {
  t = await createTestDatabase();
  dir = mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-bundle-chunks-'));
  const ledger = createLedger(t.connect(), { signer, checkpointEvery: 5 });
  for (const stream of ['alpha', 'beta'])
    await ledger.appendMany(
      Array.from({ length: 12 }, (_, i) => ({
        event: sampleEvent({ payload: { i, note: 'Ünïcödé ✓ \u0001 "q" \\ 𝄞', n: [1.5, -2, 1e-7, null] } }),
        idempotencyKey: `${stream}-${i}`,
      })),
      { stream },
    );
  await sanctionedPurge(t, ledger, 'beta', [3]);
  await ledger.head();
  await exportBundle(t.connect('ledgerflow_reader'), path.join(dir, 'b'));
});
afterAll(async () => {
  await t.drop();
  rmSync(dir, { recursive: true, force: true });
});

const honest = () => readFileSync(path.join(dir, 'b/events.jsonl'), 'utf8').split('\n').slice(0, -1);

async function variant(name: string, text: string | Buffer): Promise<string> {
  const d = path.join(dir, name);
  rmSync(d, { recursive: true, force: true });
  await exportBundle(t.connect('ledgerflow_reader'), d);
  writeFileSync(path.join(d, 'events.jsonl'), text);
  return d;
}

const verdict = (r: Awaited<ReturnType<typeof verifyBundle>>) => ({
  valid: r.valid,
  stream: r.stream,
  fault: r.fault,
  firstBadSeq: r.firstBadSeq,
  detail: r.detail,
  eventsChecked: r.eventsChecked,
  manifestOk: r.manifestOk,
  streams: r.streams.map((s) => [s.stream, s.valid, s.eventsChecked, s.checkpointsChecked, s.provenTreeSize]),
  warnings: r.warnings,
});

describe('bundle verification in chunks and on worker threads', () => {
  const edit = (i: number, f: (l: string) => string) => (lines: string[]) =>
    lines.map((l, j) => (j === i ? f(l) : l)).join('\n') + '\n';
  const cases: Array<[string, (lines: string[]) => string | Buffer]> = [
    ['honest', (l) => `${l.join('\n')}\n`],
    ['honest, no final newline', (l) => l.join('\n')],
    ['payload edited', edit(4, (l) => l.replace('"i":4', '"i":5'))],
    ['payload re-escaped (same value)', edit(6, (l) => l.replace('\\u0001', '\\u0001'.toUpperCase()))],
    [
      'hash edited',
      edit(7, (l) => l.replace(/"hash":"(.)/, (_, c: string) => `"hash":"${c === 'a' ? 'b' : 'a'}`)),
    ],
    ['re-spaced member', edit(2, (l) => l.replace('"action":', '"action": '))],
    [
      'members re-ordered',
      edit(3, (l) => JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(l) as object).reverse()))),
    ],
    ['number re-written', edit(5, (l) => l.replace('1e-7', '0.0000001'))],
    ['line deleted', (l) => `${l.filter((_, i) => i !== 15).join('\n')}\n`],
    ['lines swapped', (l) => `${[...l.slice(0, 8), l[9], l[8], ...l.slice(10)].join('\n')}\n`],
    ['blank line', (l) => `${[...l.slice(0, 5), '', ...l.slice(5)].join('\n')}\n`],
    ['CRLF line ends', (l) => `${l.join('\r\n')}\r\n`],
    [
      'a stream not contiguous',
      (l) => `${[...l.slice(0, 3), l[14], ...l.slice(3, 14), ...l.slice(15)].join('\n')}\n`,
    ],
    [
      'purge flag without a purge',
      edit(2, (l) =>
        l
          .replace(/"payload":\{.*?\},"payload_digest"/, '"payload":null,"payload_digest"')
          .replace('"payload_purged":false', '"payload_purged":true'),
      ),
    ],
    [
      'invalid UTF-8 in a payload',
      (l) =>
        Buffer.concat([
          Buffer.from(`${l.slice(0, 9).join('\n')}\n`),
          Buffer.from(l[9] as string).map((b, i, a) => (i === a.indexOf(0xc3) ? 0xff : b)),
          Buffer.from(`\n${l.slice(10).join('\n')}\n`),
        ]),
    ],
    ['not JSON', edit(10, (l) => l.slice(0, 40))],
    ['truncated', (l) => `${l.slice(0, 17).join('\n')}\n`],
  ];

  it.each(cases)(
    '%s: the same verdict in one piece here and in small chunks on a worker',
    async (name, make) => {
      const d = await variant(name.replace(/\W+/g, '-'), make(honest()));
      const here = verdict(await verifyBundle(d, { trustedKeys: pinned, workers: 0 }));
      const chunked = verdict(await verifyBundle(d, { trustedKeys: pinned, workers: 1, chunkBytes: 1500 }));
      const tiny = verdict(await verifyBundle(d, { trustedKeys: pinned, workers: 0, chunkBytes: 1 }));
      expect(chunked).toEqual(here);
      expect(tiny).toEqual(here);
      if (name.startsWith('honest')) expect(here).toMatchObject({ valid: true, eventsChecked: 25 });
      // A blank line or CRLF ends read as the reference reads them: events valid, file not as exported.
      else expect(here.valid && here.manifestOk).toBe(false);
    },
  );
});

describe('the segments of a chunk, for every run of lines and a refused line anywhere', () => {
  it("hold each stream run's first prev_hash, last two hashes, seqs and leaves as the lines say", () => {
    const lines = honest();
    const parsed = lines.map(
      (l) => JSON.parse(l) as { stream: string; seq: number; hash: string; prev_hash: string },
    );
    const leaf = (hex: string) =>
      createHash('sha256')
        .update(Buffer.from(`00${hex}`, 'hex'))
        .digest('hex');
    const expected = (from: number, to: number) => {
      const runs: Array<Record<string, unknown>> = [];
      for (let i = from; i < to;) {
        let j = i;
        while (j < to && parsed[j]?.stream === parsed[i]?.stream) j++;
        const run = parsed.slice(i, j);
        runs.push({
          from: i - from,
          to: j - from,
          stream: run[0]?.stream,
          firstSeq: run[0]?.seq,
          firstPrev: run[0]?.prev_hash,
          lastHash: run[run.length - 1]?.hash,
          beforeLastHash: run.length > 1 ? run[run.length - 2]?.hash : run[0]?.prev_hash,
          leaves: run.map((e) => leaf(e.hash)).join(''),
          nodesAsChunkNodes: true,
        });
        i = j;
      }
      return runs;
    };
    const got = (chunk: Buffer) =>
      checkBundleChunk(chunk).map((g) => ({
        from: g.from,
        to: g.to,
        stream: g.stream,
        firstSeq: g.firstSeq,
        firstPrev: g.firstPrev.toString('hex'),
        lastHash: g.lastHash.toString('hex'),
        beforeLastHash: g.beforeLastHash.toString('hex'),
        leaves: g.leaves.toString('hex'),
        nodesAsChunkNodes: g.nodes.equals(chunkNodes(g.leaves, g.firstSeq - 1)),
      }));
    for (let from = 0; from < lines.length; from++)
      for (let to = from + 1; to <= lines.length; to++) {
        expect(got(Buffer.from(`${lines.slice(from, to).join('\n')}\n`))).toEqual(expected(from, to));
        // A line refused at `to - 1`: the runs before it as they are, then one dirty segment.
        const bad = [
          ...lines.slice(from, to - 1),
          (lines[to - 1] as string).replace('"hash":"', '"hash":"0'),
        ];
        const dirty = got(Buffer.from(`${bad.join('\n')}\n`));
        expect(dirty.slice(0, -1)).toEqual(expected(from, to - 1));
        expect(dirty[dirty.length - 1]).toMatchObject({ from: to - 1 - from, to: to - from, stream: null });
      }
  });
});

describe('worker threads in a process with nothing else to wait for', () => {
  it('keep the process alive until the verdict (an offline check has no database connection)', async () => {
    // Fails when idle-unref'd workers are not referenced while they hold work: the process
    // then exits with the verification pending and prints nothing.
    const probe = `
      const { verifyBundle } = require(${JSON.stringify(path.resolve(__dirname, '../ledger/bundle.ts'))});
      const keys = new Map([[${JSON.stringify(signer.keyId)}, { keyId: ${JSON.stringify(signer.keyId)},
        publicKey: Buffer.from(${JSON.stringify(signer.publicKey.toString('hex'))}, 'hex') }]]);
      verifyBundle(${JSON.stringify(path.join(dir, 'b'))}, { trustedKeys: keys, workers: 1, chunkBytes: 2000 })
        .then((r) => console.log(JSON.stringify({ valid: r.valid, events: r.eventsChecked })));`;
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '-e', probe], {
        cwd: path.resolve(__dirname, '..'),
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString()));
      child.on('error', reject);
      child.on('close', () => resolve(text));
    });
    expect(JSON.parse(out.trim())).toEqual({ valid: true, events: 25 });
  }, 120_000);
});

describe('the byte scanner accepts exactly the lines the reference rules accept', () => {
  const salt = Buffer.alloc(16, 7);
  const prev = Buffer.alloc(32, 9);
  /** A line with valid chain fields for `payload` and `context`, canonical unless `write` re-encodes it. */
  const line = (payload: unknown, context: unknown, write: (o: object) => string) => {
    const event = {
      stream: 's',
      seq: 3,
      event_id: '00000000-0000-4000-8000-000000000000',
      event_type: 'x.y',
      actor: { type: 'system', id: 'a' },
      occurred_at: '2026-01-01T00:00:00.000000Z',
      resource: { type: 'r', id: 'i' },
      action: 'act',
      outcome: 'success',
      subject_id: null,
      case_id: 'c',
      context,
      schema_version: 1,
      idempotency_key: 'k',
    } as never;
    let digest: Buffer;
    let hash: Buffer;
    try {
      digest = payloadDigest(salt, canonicalJson(payload));
      hash = chainHash(prev, 3, canonicalEnvelope(event), digest);
    } catch {
      digest = Buffer.alloc(32);
      hash = Buffer.alloc(32);
    }
    return write({
      ...(event as object),
      payload,
      payload_digest: digest.toString('hex'),
      prev_hash: prev.toString('hex'),
      hash: hash.toString('hex'),
      payload_salt: salt.toString('hex'),
      payload_purged: false,
    });
  };
  const reference = (l: string): boolean => {
    const p = parseBundleLine(l);
    if (!('event' in p)) return false;
    const e = p.event;
    const h = chainHash(
      Buffer.from(e.prev_hash, 'hex'),
      e.seq,
      canonicalEnvelope(e),
      Buffer.from(e.payload_digest, 'hex'),
    );
    return (
      h.toString('hex') === e.hash &&
      payloadDigest(Buffer.from(e.payload_salt as string, 'hex'), canonicalJson(e.payload)).toString(
        'hex',
      ) === e.payload_digest
    );
  };
  const fast = (l: string) => {
    const s = checkBundleChunk(Buffer.from(`${l}\n`));
    return s.length === 1 && s[0]?.stream === 's';
  };
  const json = fc.letrec((tie) => ({
    any: fc.oneof(
      { depthSize: 'small' },
      fc.string({ unit: 'binary' }),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer(),
      fc.constantFrom(2 ** 53, -(2 ** 53), 1e21, 1e-7, -0),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie('any')),
      fc.dictionary(fc.string({ unit: 'binary' }), tie('any')),
    ),
  })).any;
  const writers: Array<(o: object) => string> = [
    canonicalJson,
    (o) => JSON.stringify(o),
    (o) =>
      canonicalJson(o).replace(
        /[\u0080-\uffff]/g,
        (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
      ),
    (o) => canonicalJson(o).replace(/\\n/g, '\\u000a'),
    (o) => canonicalJson(o).replace(':', ' :'),
  ];

  it('on generated payloads and contexts, written canonically or not', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ unit: 'binary' }), json),
        json,
        fc.integer({ min: 0, max: writers.length - 1 }),
        (payload, context, w) => {
          const l = line(payload, context, writers[w] as (o: object) => string);
          if (l.includes('\r')) return; // readline splits there: the chunk is read line by line
          expect(fast(l)).toBe(reference(l));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('on single-character edits of a canonical line', () => {
    const base = line({ a: [1, 'x\u0007', { b: null }], é: 2.5 }, { k: 'v' }, canonicalJson);
    expect(fast(base)).toBe(true);
    fc.assert(
      fc.property(
        fc.nat(base.length - 1),
        fc.constantFrom(
          ' ',
          '"',
          '\\',
          '0',
          '9',
          'e',
          '.',
          '-',
          'a',
          'F',
          ',',
          ':',
          '{',
          '}',
          '[',
          ']',
          'n',
          '\u00e9',
        ),
        fc.boolean(),
        (at, c, insert) => {
          const l = base.slice(0, at) + c + base.slice(insert ? at : at + 1);
          expect(fast(l)).toBe(reference(l));
        },
      ),
      { numRuns: 600 },
    );
  });

  it('on every single-byte edit, insertion and deletion of a line (heads compared by words, hex decoded while scanned)', () => {
    const base = line({ a: 1, ab: 'x', b: null }, { k: 'v' }, canonicalJson);
    expect(fast(base)).toBe(true);
    const chars = ['"', '\\', ':', ',', '0', 'a', 'f', 'g', 'A', 'F', '}', 'n', 'u', '\u00e9'];
    for (let at = 0; at <= base.length; at++)
      for (const c of [...chars, '']) {
        for (const insert of [true, false]) {
          if (!insert && at === base.length) continue;
          const l = base.slice(0, at) + c + base.slice(insert ? at : at + 1);
          if (fast(l) !== reference(l))
            expect({ at, c, insert, fast: fast(l) }).toEqual({ reference: reference(l) });
        }
      }
  });

  it('on chain members written otherwise: escaped, upper-case, too short or long, the salt as text', () => {
    const base = line({ a: 1 }, { k: 'v' }, canonicalJson);
    const hash = /"hash":"([0-9a-f]{64})"/.exec(base)?.[1] as string;
    const salt = /"payload_salt":"([0-9a-f]{32})"/.exec(base)?.[1] as string;
    const variants = [
      base.replace(`"hash":"${hash}"`, `"hash":"\\u00${hash.charCodeAt(0).toString(16)}${hash.slice(1)}"`),
      base.replace(`"hash":"${hash}"`, `"hash":"${hash.toUpperCase()}"`),
      base.replace(`"hash":"${hash}"`, `"hash":"${hash.slice(1)}"`),
      base.replace(`"hash":"${hash}"`, `"hash":"${hash}0"`),
      base.replace(`"hash":"${hash}"`, `"hash":"${hash.slice(0, 63)}\\""`),
      base.replace(`"payload_salt":"${salt}"`, '"payload_salt":"null"'),
      base.replace(`"payload_salt":"${salt}"`, '"payload_salt":nul'),
      base.slice(0, base.indexOf('"prev_hash":') + 20),
      // Well-formed, but a null salt beside a payload is refused (its digest cannot be recomputed).
      base.replace(`"payload_salt":"${salt}"`, '"payload_salt":null'),
    ];
    for (const l of variants.slice(0, -1)) expect(fast(l)).toBe(reference(l));
    expect(variants.map(fast)).toEqual(variants.map(() => false));
  });

  it('on lines whose hash inputs are longer than the views kept by length (4 096 bytes)', () => {
    for (const size of [4000, 4096, 5000, 70_000]) {
      const l = line({ note: 'x'.repeat(size) }, { k: 'y'.repeat(size) }, canonicalJson);
      expect(fast(l)).toBe(true);
      const edited = l.replace('xxxxx', 'xxyxx');
      expect(fast(edited)).toBe(reference(edited));
      expect(fast(edited)).toBe(false);
    }
  });

  it('on member names whose first differing bytes are both non-ASCII (UTF-16 order is not byte order)', () => {
    // U+1D11E is a surrogate pair (0xD834 0xDD1E) and sorts before U+E000 in UTF-16, after it in UTF-8.
    const names = ['\u{1d11e}', '\ue000', '\uffff', 'é', 'éa', 'z', 'a\u{1d11e}', 'a\ue000'];
    for (const x of names)
      for (const y of names) {
        if (x === y) continue;
        const payload = JSON.parse(`{${JSON.stringify(x)}:1,${JSON.stringify(y)}:2}`) as object;
        const inOrder = line(payload, { [x]: 1, [y]: 2 }, canonicalJson);
        const swapped = inOrder.replace(
          `${JSON.stringify(x < y ? x : y)}:1,${JSON.stringify(x < y ? y : x)}:2}`,
          `${JSON.stringify(x < y ? y : x)}:2,${JSON.stringify(x < y ? x : y)}:1}`,
        );
        expect(fast(inOrder)).toBe(true);
        expect(fast(swapped)).toBe(reference(swapped));
      }
  });
});
