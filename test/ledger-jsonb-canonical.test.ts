import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson, checkIJson } from '../core/canonical-json';
import { canonicalEnvelope, chainHash, payloadDigest } from '../core/hash-chain';
import { signerFrom } from '../core/signing';
import { copyChunks, copyEvent, copyField } from '../ledger/copy-rows';
import { jsonbToCanonical } from '../ledger/jsonb-canonical';
import { createLedger } from '../ledger/ledger';
import { verifyLedger } from '../ledger/verify';
import { nativeSha256, sha256Implementation, useSha256 } from '../ledger/sha256-span';
import { checkChunk, copyLineBytes } from '../ledger/verify-chunk';
import { createTestDatabase, sampleEvent, type TestDatabase } from './support';

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

const chars = fc.constantFrom('a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\t', '\u0001', '\u001f', '\u007f');
const unicode = fc.constantFrom('é', '€', '\u2028', '\ufb33', '\uffff', '𝄞', '😀', 'ß', '\u0080');
const text = fc.oneof(
  fc.string({ unit: fc.oneof(chars, unicode) }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc.constantFrom('toJSON', '__proto__', '', 'a', 'aa', 'b', 'B'),
);
/** Number spellings jsonb keeps as written (numeric) next to ones JSON.stringify writes. */
const numberText = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc.integer().map(String),
  fc.constantFrom('1.50', '1e5', '-0', '0.0', '1E+2', '123456789012345678901234567890', '3.0e-3', '1e-7'),
  fc.constantFrom('9007199254740993', '0.1', '100', '-12.25', '1e21', '5e-324'),
);
/** JSON text (possibly with duplicate members and arbitrary number spellings). */
const jsonText: fc.Arbitrary<string> = fc.letrec((tie) => ({
  any: fc.oneof(
    { depthSize: 'small' },
    text.map((s) => JSON.stringify(s)),
    numberText,
    fc.constantFrom('true', 'false', 'null'),
    fc.array(tie('any')).map((xs) => `[${xs.join(', ')}]`),
    fc
      .array(fc.tuple(text, tie('any')))
      .map((ms) => `{${ms.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
  ),
})).any as fc.Arbitrary<string>;

/** The fast path; `room` > 1 leaves free bytes after the output, where objects are reordered in place. */
function fast(s: string, room = 1): string | null {
  const b = Buffer.from(s, 'utf8');
  const out = Buffer.alloc(room * b.length);
  const n = jsonbToCanonical(b, 0, b.length, out, 0);
  return n < 0 ? null : out.toString('utf8', 0, n);
}

describe('jsonb text to canonical bytes', () => {
  it('equals canonicalJson(JSON.parse(text)) on PostgreSQL jsonb output of random values, and answers for most', async () => {
    const samples = fc.sample(jsonText, { numRuns: 3000, seed: 14 });
    const r = await t.asOwner<{ j: string }>('SELECT x::jsonb::text AS j FROM unnest($1::text[]) x', [
      samples,
    ]);
    let answered = 0;
    for (const { j } of r.rows) {
      const got = fast(j);
      if (got === null) continue;
      answered++;
      expect(got).toBe(canonicalJson(JSON.parse(j)));
    }
    // Strings with escapes and re-spelt numbers go to the parser; the rest must not.
    expect(answered).toBeGreaterThan(r.rows.length * 0.3);
  });

  it('equals the reference on arbitrary JSON text too (any spacing, member order, duplicates)', () => {
    fc.assert(
      fc.property(jsonText, fc.boolean(), (s, spaced) => {
        const src = spaced ? ` ${s.replace(/,/g, ' , ')} ` : s;
        const got = fast(src);
        if (got !== null) expect(got).toBe(canonicalJson(JSON.parse(src)));
      }),
      { numRuns: 3000 },
    );
  });

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

/** The reference check of one COPY line: decoded text, JSON.parse, canonicalEnvelope, canonicalJson. */
function referenceRowOk(stream: string, line: string): boolean {
  try {
    const f = line.split('\t');
    if (f.length !== 21) return false;
    // bytea in COPY text: \\x and lower-case hex of exactly n bytes.
    const hex = (s: string, n: number) => {
      if (!new RegExp(`^\\\\\\\\x[0-9a-f]{${2 * n}}$`).test(s)) throw new TypeError('not bytea');
      return Buffer.from(s.slice(3), 'hex');
    };
    const hash = hex(f[17] as string, 32);
    const prev = hex(f[16] as string, 32);
    const digest = hex(f[15] as string, 32);
    const seq = Number(f[0]);
    if (!chainHash(prev, seq, canonicalEnvelope(copyEvent(stream, f)), digest).equals(hash)) return false;
    const payload = copyField(f[19] as string);
    if (payload === null) return f[20] === 't';
    return payloadDigest(hex(f[18] as string, 16), canonicalJson(JSON.parse(payload))).equals(digest);
  } catch {
    return false;
  }
}

describe('COPY rows checked from their bytes', () => {
  const stream = 'bytes';
  let lines: string[] = [];
  beforeAll(async () => {
    const ledger = createLedger(t.connect(), {
      signer: signerFrom(generateKeyPairSync('ed25519').privateKey),
    });
    const ijson = (s: string) => {
      try {
        checkIJson(JSON.parse(s));
        return true;
      } catch {
        return false;
      }
    };
    const payloads = fc
      .sample(jsonText.filter(ijson), { numRuns: 60, seed: 7 })
      .map((s, i) => ({ i, v: JSON.parse(s) as unknown }));
    // A member named toJSON: canonicalJson left such an object unsorted, so it failed verification.
    payloads.push({ i: 60, v: { toJSON: 1, a: [{ toJSON: 'x', b: 2, a: 1 }] } });
    await ledger.appendMany(
      payloads.map((p, i) => ({
        event: sampleEvent({
          payload: p,
          context: {
            attempt: i + 1,
            step: i % 3 === 0 ? 'step "q" é 𝄞' : 'plain',
            workflow_id: `wf-${i}`,
          },
          subject_id: i % 2 ? null : `subj-${i}`,
          resource: { type: 'test', id: i % 5 === 0 ? 'r\n"1"' : `r-${i}` },
        }),
        idempotencyKey: `k-${i}`,
      })),
      { stream },
    );
    const parts: Buffer[] = [];
    for await (const c of copyChunks(t.connect('ledgerflow_reader'), stream, 0)) parts.push(c.buf);
    lines = Buffer.concat(parts).toString('utf8').split('\n').slice(0, -1);
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

  // With either SHA-256 (ledger/sha256-span.ts): the native one where it is built, and node:crypto.
  it.each(['native', 'node:crypto'] as const)(
    'a single-character edit anywhere in a line is clean exactly when the reference path says so (%s SHA-256)',
    (impl) => {
      if (impl === 'native' && nativeSha256 === null) return;
      const before = sha256Implementation();
      useSha256(impl);
      try {
        singleEditsAgreeWithReference();
      } finally {
        useSha256(before);
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
