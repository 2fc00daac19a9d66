import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../core/canonical-json';
import { canonicalEnvelope } from '../core/hash-chain';
import { copyEvent, copyField } from '../ledger/copy-rows';
import { jsonbToCanonical } from '../ledger/jsonb-canonical';
import { verifyLedger } from '../ledger/verify';
import { nativeSha256, sha256Implementation, useSha256 } from '../ledger/sha256-span';
import { nativeModule } from '../ledger/native-module';
import {
  checkChunk,
  chunkCheckerImplementation,
  copyLineBytes,
  useChunkChecker,
} from '../ledger/verify-chunk';
import {
  agreesOnArbitraryText,
  agreesOnJsonbOutput,
  createTestDatabase,
  jsonText,
  referenceRowOk,
  variedCopyLines,
  type TestDatabase,
} from './support';

/**
 * The verifier's byte path (jsonb text → canonical bytes, COPY line → envelope bytes) must give
 * exactly the bytes of the reference path (`JSON.parse`, `canonicalJson`, `canonicalEnvelope`)
 * whenever it answers, and must answer for ordinary rows (else it is dead code).
 */

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

/** The fast path; `room` > 1 leaves free bytes after the output, where objects are reordered in place. */
function fast(s: string, room = 1): string | null {
  const b = Buffer.from(s, 'utf8');
  const out = Buffer.alloc(room * b.length);
  const n = jsonbToCanonical(b, 0, b.length, out, 0);
  return n < 0 ? null : out.toString('utf8', 0, n);
}

describe('jsonb text to canonical bytes', () => {
  it('equals canonicalJson(JSON.parse(text)) on PostgreSQL jsonb output of random values, and answers for most', async () => {
    const { answered, total } = await agreesOnJsonbOutput(t, 14, (s) => fast(s));
    // Strings with escapes and re-spelt numbers go to the parser; the rest must not.
    expect(answered).toBeGreaterThan(total * 0.3);
  });

  it('equals the reference on arbitrary JSON text too (any spacing, member order, duplicates)', () =>
    agreesOnArbitraryText((s) => fast(s)));

  it('gives the same bytes when members are reordered through the free tail of the output buffer', async () => {
    const samples = fc.sample(jsonText, { numRuns: 2000, seed: 41 });
    const r = await t.asOwner<{ j: string }>('SELECT x::jsonb::text AS j FROM unnest($1::text[]) x', [
      samples,
    ]);
    let answered = 0;
    for (const { j } of r.rows) {
      const got = fast(j, 3);
      expect(got).toBe(fast(j));
      if (got === null) continue;
      answered++;
      expect(got).toBe(canonicalJson(JSON.parse(j)));
    }
    expect(answered).toBeGreaterThan(r.rows.length * 0.3);
    fc.assert(
      fc.property(jsonText, (s) => {
        const got = fast(s, 3);
        expect(got).toBe(fast(s));
        if (got !== null) expect(got).toBe(canonicalJson(JSON.parse(s)));
      }),
      { numRuns: 2000 },
    );
  });

  it('handles the exact subset it claims and refuses the rest', () => {
    expect(fast('{"bb": 1, "a": [true, null, "x"], "é": {"z": -0.5, "y": {}}}')).toBe(
      '{"a":[true,null,"x"],"bb":1,"é":{"y":{},"z":-0.5}}',
    );
    // UTF-16 order: U+FB33 sorts after U+1D11E (a surrogate pair), unlike UTF-8 byte order.
    expect(fast('{"דּ": 1, "𝄞": 2}')).toBe('{"𝄞":2,"דּ":1}');
    // A member named toJSON is sorted like any other (it was left unsorted before, and failed verification).
    expect(fast('{"toJSON": 1, "a": {"toJSON": []}}')).toBe('{"a":{"toJSON":[]},"toJSON":1}');
    for (const refused of ['{"a": 1.50}', '{"a": "x\\"y"}', '{"a": 1, "a": 2}', '1e5', ''])
      expect(fast(refused)).toBeNull();
  });
});

describe('COPY rows checked from their bytes', () => {
  const stream = 'bytes';
  let lines: string[] = [];
  beforeAll(async () => {
    lines = await variedCopyLines(t, stream);
  });

  const chunk = (ls: string[]) => Buffer.from(ls.map((l) => `${l}\n`).join(''), 'utf8');

  it('an honest chunk is clean, row by row and as a whole, and the stream verifies', async () => {
    expect(lines.length).toBe(61);
    for (const l of lines) expect(referenceRowOk(stream, l)).toBe(true);
    const r = checkChunk(stream, chunk(lines));
    expect(r.clean).toBe(true);
    expect(r.rows).toBe(61);
    expect(r.firstSeq).toBe(1);
    const v = await verifyLedger(t.connect('ledgerflow_reader'), { stream, workers: 0 });
    expect([v.valid, v.eventsChecked, v.detail]).toEqual([true, 61, null]);
  });

  /** The byte path's bytes for a line equal the reference path's whenever it answers; whether it answered. */
  const sameBytesAsReference = (line: string): boolean => {
    const got = copyLineBytes(stream, Buffer.from(line, 'utf8'));
    if (got === null) return false;
    const f = line.split('\t');
    expect(f.length).toBe(21);
    expect(got.seq).toBe(Number(f[0]));
    expect(got.envelope.toString('utf8')).toBe(canonicalEnvelope(copyEvent(stream, f)));
    const payload = copyField(f[19] as string);
    expect(got.payload?.toString('utf8') ?? null).toBe(
      payload === null ? null : canonicalJson(JSON.parse(payload)),
    );
    expect(got.purged).toBe(f[20] === 't');
    return true;
  };

  it('reads ordinary lines from their bytes, giving the envelope and payload bytes of the reference path', () => {
    const answered = lines.filter(sameBytesAsReference).length;
    // A quote in a text field or any string escape (a third of the lines, most generated payloads)
    // sends a line to the reference path; the rest must not go there.
    expect(answered).toBeGreaterThan(lines.length * 0.25);
  });

  it('a single-character edit: the byte path gives the reference bytes whenever it answers', () => {
    const chars = [
      '0',
      '1',
      '9',
      'a',
      ' ',
      '"',
      '\\',
      '\t',
      ',',
      ':',
      '{',
      '}',
      '[',
      ']',
      'é',
      'N',
      'x',
      '-',
      '.',
      'e',
    ];
    fc.assert(
      fc.property(
        fc.nat(lines.length - 1),
        fc.nat(4000),
        fc.constantFrom(...chars),
        fc.boolean(),
        (row, pos, c, insert) => {
          const l = lines[row] as string;
          const at = pos % l.length;
          // As bytes (an edit inside a surrogate pair becomes U+FFFD there).
          const edited = Buffer.from(l.slice(0, at) + c + l.slice(insert ? at : at + 1), 'utf8').toString();
          const f = edited.split('\t');
          let refused = f.length !== 21;
          try {
            const payload = copyField(f[19] as string);
            canonicalEnvelope(copyEvent(stream, f));
            if (payload !== null) canonicalJson(JSON.parse(payload));
          } catch {
            refused = true;
          }
          // A line the reference path refuses is never read by the byte path.
          if (refused) expect(copyLineBytes(stream, Buffer.from(edited, 'utf8'))).toBeNull();
          else sameBytesAsReference(edited);
        },
      ),
      { numRuns: 3000 },
    );
  });

  // Through each byte path and SHA-256: the native checker (ledger/native/copy-chunk.c, its own
  // SHA-256) where it is built, and the TypeScript one with either SHA-256 (ledger/sha256-span.ts).
  it.each([
    ['native', 'native'],
    ['typescript', 'native'],
    ['typescript', 'node:crypto'],
  ] as const)(
    'a single-character edit anywhere in a line is clean exactly when the reference path says so (%s checker, %s SHA-256)',
    (checker, impl) => {
      if ((impl === 'native' && nativeSha256 === null) || (checker === 'native' && nativeModule === null))
        return;
      const before = [chunkCheckerImplementation(), sha256Implementation()] as const;
      useChunkChecker(checker);
      useSha256(impl);
      try {
        singleEditsAgreeWithReference();
      } finally {
        useChunkChecker(before[0]);
        useSha256(before[1]);
      }
    },
  );

  const singleEditsAgreeWithReference = () => {
    const chars = ['0', '1', 'a', 'f', ' ', '"', '\\', '\t', ',', ':', '{', '}', '[', 'é', 'N', 'x'];
    fc.assert(
      fc.property(
        fc.nat(lines.length - 1),
        fc.nat(4000),
        fc.constantFrom(...chars),
        fc.boolean(),
        (row, pos, c, insert) => {
          const l = lines[row] as string;
          const at = pos % l.length;
          const edited = l.slice(0, at) + c + l.slice(insert ? at : at + 1);
          // The bytes are what is checked (an edit inside a surrogate pair becomes U+FFFD there).
          const bytes = chunk([edited]);
          const r = checkChunk(stream, bytes);
          expect(r.clean).toBe(referenceRowOk(stream, bytes.toString('utf8', 0, bytes.length - 1)));
        },
      ),
      { numRuns: 1500 },
    );
  };
});
