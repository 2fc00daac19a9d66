import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../core/canonical-json';
import { canonicalEnvelope, chainHash, payloadDigest } from '../core/hash-chain';
import { signerFrom } from '../core/signing';
import { chunkNodes } from '../ledger/chunk-nodes';
import { copyChunks, copyEvent } from '../ledger/copy-rows';
import { createLedger } from '../ledger/ledger';
import { nativeModule, type NativeModule } from '../ledger/native-module';
import { verifyLedger } from '../ledger/verify';
import {
  checkChunk,
  checkChunkBeside,
  chunkCheckerImplementation,
  useChunkChecker,
} from '../ledger/verify-chunk';
import {
  createTestDatabase,
  agreesOnArbitraryText,
  agreesOnJsonbOutput,
  numberText,
  referenceRowOk,
  sampleEvent,
  variedCopyLines,
  type TestDatabase,
} from './support';

/**
 * The native byte path of the COPY chunk checker (ledger/native/copy-chunk.c) against the
 * reference path: whatever it answers must be what `JSON.parse` + `canonicalJson` +
 * `canonicalEnvelope` give; CLEAN only for rows the reference accepts, DIRTY only for rows it
 * refuses; anything else is UNSUPPORTED (the TypeScript checker takes the chunk), never a crash.
 */

const DIRTY = 0;
const CLEAN = 1;
const UNSUPPORTED = 2;

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

it('is the checker in use wherever the module is built (always in CI)', () => {
  if (process.env.CI) expect(nativeModule, 'npm run build did not compile ledger/native/*.c').not.toBeNull();
  expect(chunkCheckerImplementation()).toBe(nativeModule === null ? 'typescript' : 'native');
});

const chunk = (ls: string[]) => Buffer.from(ls.map((l) => `${l}\n`).join(''), 'utf8');

describe.skipIf(nativeModule === null)('native COPY chunk checker', () => {
  const m = nativeModule as NativeModule;

  /** The native canonical JSON of `s`, or null where it does not answer. */
  const canonical = (s: string): string | null => {
    const b = Buffer.from(s, 'utf8');
    const out = Buffer.alloc(b.length + 1);
    const n = m.jsonbCanonical(b, 0, b.length, out);
    return n < 0 ? null : out.toString('utf8', 0, n);
  };

  /** The native verdict on `bytes`, with room for `rows` rows (by default as many as it has lines). */
  const verdict = (stream: string, bytes: Buffer, rows = countLines(bytes)): number =>
    m.checkCopyChunk(
      bytes,
      Buffer.from(JSON.stringify(stream)),
      Buffer.alloc(32 * rows),
      Buffer.alloc(32 * rows),
      Buffer.alloc(112),
    );

  it('writes canonicalJson(JSON.parse(text)) for PostgreSQL jsonb output of random values, and answers for most', async () => {
    const { answered, total } = await agreesOnJsonbOutput(t, 23, canonical);
    expect(answered).toBeGreaterThan(total * 0.3);
  });

  it('writes the reference bytes for arbitrary JSON text too (any spacing, member order, duplicates)', () =>
    agreesOnArbitraryText(canonical));

  it('keeps a number only when its text is how JavaScript writes it', () => {
    const spellings = fc.oneof(
      numberText,
      fc
        .double({ noNaN: true, noDefaultInfinity: true })
        .chain((n) =>
          fc.constantFrom(String(n), n.toFixed(2), n.toPrecision(15), n.toPrecision(17), n.toExponential()),
        ),
      fc
        .tuple(fc.boolean(), fc.stringMatching(/^[0-9]{1,17}$/), fc.stringMatching(/^[0-9]{0,17}$/))
        .map(([neg, i, f]) => `${neg ? '-' : ''}${i}${f ? `.${f}` : ''}`),
    );
    fc.assert(
      fc.property(spellings, (s) => {
        const got = canonical(`[${s}]`);
        if (got !== null) expect(got).toBe(`[${String(Number(s))}]`);
      }),
      { numRuns: 5000 },
    );
    for (const kept of ['0', '-1', '12.5', '0.000001', '-0.5', '123456789012345', '0.1', '99.99'])
      expect(canonical(kept)).toBe(kept);
    for (const refused of [
      '-0',
      '1.50',
      '1e5',
      '0.0000001',
      '01',
      '1.',
      '.5',
      '+1',
      '0.0',
      '1234567890123.456',
    ])
      expect(canonical(refused)).toBeNull();
  });

  it('leaves member names that are not ASCII where their order is decided to TypeScript', () => {
    expect(canonical('{"é": 1, "a": 2}')).toBeNull();
    expect(canonical('{"a": {"é": 1}}')).toBe('{"a":{"é":1}}');
    expect(canonical('{"bb": 1, "a": [true, null, "x€"], "c": {"z": -0.5, "y": {}}}')).toBe(
      '{"a":[true,null,"x€"],"bb":1,"c":{"y":{},"z":-0.5}}',
    );
    for (const refused of ['{"a": 1, "a": 2}', '{"a": "x\\"y"}', '', '[1,]', '{"a" 1}', 'nul', '[1] 2'])
      expect(canonical(refused)).toBeNull();
  });

  describe('on COPY lines of a real ledger', () => {
    const stream = 'native';
    let lines: string[] = [];
    beforeAll(async () => {
      lines = await variedCopyLines(t, stream);
    });

    it('answers each honest line clean or unsupported, clean for lines without escapes, as the TypeScript checker', () => {
      let clean = 0;
      for (const l of lines) {
        const v = verdict(stream, chunk([l]));
        expect([CLEAN, UNSUPPORTED]).toContain(v);
        if (v === CLEAN) clean++;
      }
      expect(clean).toBeGreaterThan(lines.length * 0.2);
    });

    it('a single-character edit: CLEAN only when the reference accepts the line, DIRTY only when it refuses it', () => {
      const chars = [
        '0',
        '1',
        'a',
        'f',
        ' ',
        '"',
        '\\',
        '\t',
        ',',
        ':',
        '{',
        '}',
        '[',
        'é',
        'N',
        'x',
        '.',
        '-',
        '\n',
      ];
      let answered = 0;
      fc.assert(
        fc.property(
          fc.nat(lines.length - 1),
          fc.nat(4000),
          fc.constantFrom(...chars),
          fc.boolean(),
          (row, pos, c, insert) => {
            const l = lines[row] as string;
            const at = pos % l.length;
            const bytes = chunk([l.slice(0, at) + c + l.slice(insert ? at : at + 1)]);
            const v = verdict(stream, bytes);
            if (v === UNSUPPORTED) return;
            answered++;
            expect(v === CLEAN).toBe(referenceRowOk(stream, bytes.toString('utf8', 0, bytes.length - 1)));
          },
        ),
        { numRuns: 3000 },
      );
      expect(answered).toBeGreaterThan(300);
    });

    it('a hex digit of a digest, hash or salt replaced by any other byte: never CLEAN unless the reference accepts', () => {
      const others = ['g', 'G', 'A', 'F', '/', ':', '`', '@', 'z', ' ', '\x7f'];
      let tried = 0;
      for (const l of lines.filter((x) => verdict(stream, chunk([x])) === CLEAN).slice(0, 3)) {
        const fields = l.split('\t');
        let offset = 0;
        for (const f of fields) {
          if (f.startsWith('\\\\x'))
            for (let at = offset + 3; at < offset + f.length; at++)
              for (const c of others) {
                const edited = l.slice(0, at) + c + l.slice(at + 1);
                const v = verdict(stream, chunk([edited]));
                tried++;
                if (v !== UNSUPPORTED) expect(v === CLEAN).toBe(referenceRowOk(stream, edited));
              }
          offset += f.length + 1;
        }
      }
      expect(tried).toBeGreaterThan(3 * 200 * 10);
    });
  });

  describe('on chunks of many rows', () => {
    const stream = 'native-many';
    let bytes: Buffer = Buffer.alloc(0);
    beforeAll(async () => {
      const ledger = createLedger(t.connect(), {
        signer: signerFrom(generateKeyPairSync('ed25519').privateKey),
      });
      await ledger.appendMany(
        Array.from({ length: 400 }, (_, i) => ({
          event: sampleEvent({
            event_type: 'loan.decision_made',
            subject_id: `subj-${i}`,
            case_id: i % 7 ? `case-${i}` : null,
            context: { workflow_id: `wf-${i}`, run_id: `run-${i}`, attempt: 1 + (i % 3), step: 'decision' },
            payload: {
              note: 'x'.repeat(i % 50),
              score: i * 37 - 500,
              rate: (i % 40) / 8,
              reasons: ['income', 'history'],
              applicant: { name: `Applicant ${i}`, country: 'DE' },
            },
          }),
          idempotencyKey: `many-${i}`,
        })),
        { stream },
      );
      const parts: Buffer[] = [];
      for await (const c of copyChunks(t.connect('ledgerflow_reader'), stream, 0)) parts.push(c.buf);
      bytes = Buffer.concat(parts);
    });

    const both = (b: Buffer) => {
      const before = chunkCheckerImplementation();
      try {
        useChunkChecker('native');
        const native = checkChunk(stream, b);
        useChunkChecker('typescript');
        return { native, typescript: checkChunk(stream, b) };
      } finally {
        useChunkChecker(before);
      }
    };

    it('is clean natively, with the same leaves, nodes and chain ends as the TypeScript checker', async () => {
      expect(verdict(stream, bytes)).toBe(CLEAN);
      const { native, typescript } = both(bytes);
      expect(native).toEqual(typescript);
      expect(native.rows).toBe(400);
      const v = await verifyLedger(t.connect('ledgerflow_reader'), { stream });
      expect([v.valid, v.eventsChecked]).toEqual([true, 400]);
    });

    it('a single-character edit in any row of the chunk makes it dirty exactly when the reference refuses that row', () => {
      const rows = bytes.toString('utf8').split('\n').slice(0, -1);
      fc.assert(
        fc.property(
          fc.nat(rows.length - 1),
          fc.nat(2000),
          fc.constantFrom('0', '7', 'a', 'f', ' ', '"', '\t', ',', '}', 'x', '.'),
          (row, pos, c) => {
            const l = rows[row] as string;
            const at = pos % l.length;
            const edited = [...rows];
            edited[row] = l.slice(0, at) + c + l.slice(at + 1);
            const { native, typescript } = both(chunk(edited));
            expect(native.clean).toBe(referenceRowOk(stream, edited[row] as string));
            expect(native).toEqual(typescript);
          },
        ),
        { numRuns: 400 },
      );
    });

    it('checks beside this thread (libuv pool), many chunks at once, with the results of this thread', async () => {
      const rows = bytes.toString('utf8').split('\n').slice(0, -1);
      const chunks = Array.from({ length: 24 }, (_, k) => {
        if (k % 2 === 0) return chunk(rows.slice(k * 10, k * 10 + 150));
        // An event id changed in one row: still a plain field, so the native path reads it (dirty).
        const edited = rows.slice(k * 10, k * 10 + 150);
        const f = (edited[k] as string).split('\t');
        f[1] = `${(f[1] as string).slice(0, -1)}${(f[1] as string).endsWith('0') ? '1' : '0'}`;
        edited[k] = f.join('\t');
        return chunk(edited);
      });
      const here = chunks.map((c) => checkChunk(stream, c));
      const beside = await Promise.all(chunks.map((c) => checkChunkBeside(stream, c)));
      expect(beside).toEqual(here);
      expect(beside.map((r) => r.clean)).toEqual(chunks.map((_, k) => k % 2 === 0));
      expect(chunks.map((c) => verdict(stream, c))).toEqual(
        chunks.map((_, k) => (k % 2 === 0 ? CLEAN : DIRTY)),
      );
    });

    it('rows out of order, a row missing or a row repeated: dirty', () => {
      const rows = bytes.toString('utf8').split('\n').slice(0, -1);
      const swapped = [...rows];
      [swapped[10], swapped[11]] = [swapped[11] as string, swapped[10] as string];
      for (const b of [swapped, rows.filter((_, i) => i !== 200), [...rows.slice(0, 5), rows[4] as string]])
        expect(verdict(stream, chunk(b))).toBe(DIRTY);
    });
  });

  /**
   * A chunk of valid COPY lines written here rather than read from PostgreSQL: rows from seq
   * `first`, with the timestamps given (microseconds, cycled) and honest hashes.
   */
  function syntheticChunk(stream: string, first: number, rows: number, micros: string[]): Buffer {
    let prev: Buffer = Buffer.alloc(32);
    const lines: string[] = [];
    for (let i = 0; i < rows; i++) {
      const seq = first + i;
      const salt = Buffer.alloc(16, i);
      const payload = `{"n": ${i}, "amount": ${(i * 1.25).toString()}, "tags": ["a", "b"]}`;
      const digest = payloadDigest(salt, canonicalJson(JSON.parse(payload)));
      const f = [
        String(seq),
        `0190e4c2-0000-7000-8000-${String(i).padStart(12, '0')}`,
        'test.event_recorded',
        'service',
        'svc',
        micros[i % micros.length] as string,
        'test',
        `r-${i}`,
        'record',
        'success',
        i % 2 ? '\\N' : `subj-${i}`,
        '\\N',
        `{"step": "s", "attempt": ${i}}`,
        '1',
        `k-${i}`,
      ];
      const hash = chainHash(prev, seq, canonicalEnvelope(copyEvent(stream, f)), digest);
      const hex = (b: Buffer) => `\\\\x${b.toString('hex')}`;
      lines.push([...f, hex(digest), hex(prev), hex(hash), hex(salt), payload, 'f'].join('\t'));
      prev = hash;
    }
    return chunk(lines);
  }

  it('agrees with the TypeScript checker on seqs past 2^31 and 2^32 and on timestamps from 1970 to 9999', () => {
    const micros = ['0', '951782400000000', '1796238521487091', '4102444799999999', '253402300799999999'];
    for (const first of [1, 2 ** 31 - 37, 2 ** 32 - 100, 2 ** 40 + 3]) {
      const b = syntheticChunk('synthetic', first, 150, micros);
      expect(verdict('synthetic', b)).toBe(CLEAN);
      const before = chunkCheckerImplementation();
      try {
        useChunkChecker('native');
        const native = checkChunk('synthetic', b);
        useChunkChecker('typescript');
        const typescript = checkChunk('synthetic', b);
        expect(native.clean).toBe(true);
        expect(native).toEqual(typescript);
        expect(native.nodes).toEqual(chunkNodes(native.leaves, first - 1));
      } finally {
        useChunkChecker(before);
      }
    }
    // Past 9999 (JavaScript writes a six-digit year there): left to TypeScript.
    expect(verdict('synthetic', syntheticChunk('synthetic', 1, 2, ['253402300800000000']))).toBe(UNSUPPORTED);
  });

  it('never reads past its arrays or crashes: wrong arguments throw, odd bytes are unsupported', () => {
    const line = Buffer.from('1\tx\n');
    const room = Buffer.alloc(32);
    expect(() => m.checkCopyChunk('x' as unknown as Uint8Array, line, room, room, Buffer.alloc(112))).toThrow(
      TypeError,
    );
    expect(() => m.checkCopyChunk(line, line, Buffer.alloc(31), room, Buffer.alloc(112))).toThrow(RangeError);
    expect(() => m.checkCopyChunk(line, line, room, Buffer.alloc(16), Buffer.alloc(112))).toThrow(RangeError);
    expect(() => m.checkCopyChunk(line, line, room, room, Buffer.alloc(104))).toThrow(RangeError);
    expect(() => m.jsonbCanonical(line, 0, 99, Buffer.alloc(8))).toThrow(RangeError);
    expect(() => m.jsonbCanonical(line, -1, 2, Buffer.alloc(8))).toThrow(RangeError);
    expect(m.jsonbCanonical(Buffer.from('"abcdef"'), 0, 8, Buffer.alloc(4))).toBe(-1); // no room
    expect(verdict('s', Buffer.alloc(0))).toBe(UNSUPPORTED);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(4), (bytes, rows) => {
        const b = Buffer.from(bytes);
        expect([DIRTY, UNSUPPORTED]).toContain(verdict('s', b, rows));
        expect(m.jsonbCanonical(b, 0, b.length, Buffer.alloc(b.length))).toBeLessThanOrEqual(b.length);
      }),
      { numRuns: 2000 },
    );
  });
});

function countLines(b: Buffer): number {
  let n = 0;
  for (const c of b) if (c === 10) n++;
  return n;
}
