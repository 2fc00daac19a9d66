import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { expect } from 'vitest';
import { canonicalJson, checkIJson } from '../../core/canonical-json';
import { canonicalEnvelope, chainHash, payloadDigest } from '../../core/hash-chain';
import { signerFrom } from '../../core/signing';
import { copyChunks, copyEvent, copyField } from '../../ledger/copy-rows';
import { createLedger } from '../../ledger/ledger';
import { sampleEvent, type TestDatabase } from './database';

// What the COPY byte-path tests (ledger-jsonb-canonical, native-copy-chunk) share: JSON text
// as PostgreSQL might print it, the reference check of a line, and a varied stream.

const chars = fc.constantFrom('a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\t', '\u0001', '\u001f', '\u007f');
const unicode = fc.constantFrom('é', '€', '\u2028', '\ufb33', '\uffff', '𝄞', '😀', 'ß', '\u0080');
const text = fc.oneof(
  fc.string({ unit: fc.oneof(chars, unicode) }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc.constantFrom('toJSON', '__proto__', '', 'a', 'aa', 'b', 'B'),
);
/** Number spellings jsonb keeps as written (numeric) next to ones JSON.stringify writes. */
export const numberText = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc.integer().map(String),
  fc.constantFrom('1.50', '1e5', '-0', '0.0', '1E+2', '123456789012345678901234567890', '3.0e-3', '1e-7'),
  fc.constantFrom('9007199254740993', '0.1', '100', '-12.25', '1e21', '5e-324'),
);
/** JSON text (possibly with duplicate members and arbitrary number spellings). */
export const jsonText: fc.Arbitrary<string> = fc.letrec((tie) => ({
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

/** The reference check of one COPY line: decoded text, JSON.parse, canonicalEnvelope, canonicalJson. */
export function referenceRowOk(stream: string, line: string): boolean {
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

/**
 * Appends 61 events to `stream` whose payloads, context, nulls and text fields cover what the
 * COPY byte paths read and refuse (escapes, quotes, non-ASCII, toJSON members), and returns the
 * stream's COPY lines (without their \n).
 */
export async function variedCopyLines(t: TestDatabase, stream: string): Promise<string[]> {
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
  return Buffer.concat(parts).toString('utf8').split('\n').slice(0, -1);
}

/**
 * Runs `canonical` (a jsonb-text → canonical-JSON fast path; null where it does not answer) on
 * PostgreSQL's jsonb output of 3000 random values: whenever it answers it must give
 * `canonicalJson(JSON.parse(text))`. Returns how many it answered, of how many.
 */
export async function agreesOnJsonbOutput(
  t: TestDatabase,
  seed: number,
  canonical: (text: string) => string | null,
): Promise<{ answered: number; total: number }> {
  const samples = fc.sample(jsonText, { numRuns: 3000, seed });
  const r = await t.asOwner<{ j: string }>('SELECT x::jsonb::text AS j FROM unnest($1::text[]) x', [samples]);
  let answered = 0;
  for (const { j } of r.rows) {
    const got = canonical(j);
    if (got === null) continue;
    answered++;
    expect(got).toBe(canonicalJson(JSON.parse(j)));
  }
  return { answered, total: r.rows.length };
}

/** The same on arbitrary JSON text (any spacing, member order, duplicates). */
export function agreesOnArbitraryText(canonical: (text: string) => string | null): void {
  fc.assert(
    fc.property(jsonText, fc.boolean(), (s, spaced) => {
      const src = spaced ? ` ${s.replace(/,/g, ' , ')} ` : s;
      const got = canonical(src);
      if (got !== null) expect(got).toBe(canonicalJson(JSON.parse(src)));
    }),
    { numRuns: 3000 },
  );
}
