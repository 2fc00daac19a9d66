import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  nativeSha256,
  nodeCryptoSha256,
  sha256Implementation,
  useSha256,
  type Sha256Span,
} from '../ledger/sha256-span';
import { buildNative } from '../scripts/build-native';

const root = path.resolve(__dirname, '..');
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest();

const implementations: [string, Sha256Span | null][] = [
  ['node:crypto', nodeCryptoSha256],
  ['native', nativeSha256],
];

describe.each(implementations)('SHA-256 of a span (%s)', (name, impl) => {
  // The native one is checked wherever it was built; CI requires it (below).
  const run = impl === null ? it.skip : it;

  run('equals a plain SHA-256 of exactly the span, at any offset of either array', () => {
    const s = impl as Sha256Span;
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 300 }),
        fc.nat(20),
        fc.nat(31),
        fc.nat(9),
        (bytes, offset, flip, at) => {
          const b = Buffer.alloc(bytes.length + offset + 40, 1).subarray(offset);
          Buffer.from(bytes).copy(b, 3);
          const want = sha256(bytes);
          const wantAt = Buffer.alloc(at + 32 + 3);
          want.copy(wantAt, at);
          expect(s.equals(b, 3, 3 + bytes.length, wantAt, at)).toBe(true);
          // One bit off in the digest, or a byte more or less in the span, is not equal.
          const off = Buffer.from(wantAt);
          off[at + flip] = (off[at + flip] as number) ^ 1;
          expect(s.equals(b, 3, 3 + bytes.length, off, at)).toBe(false);
          expect(s.equals(b, 3, 4 + bytes.length, wantAt, at)).toBe(false);
          if (bytes.length > 0) expect(s.equals(b, 3, 2 + bytes.length, wantAt, at)).toBe(false);
          // Written at `at` of the output and nowhere else.
          const out = Buffer.alloc(32 + offset + 8).subarray(offset);
          s.into(b, 3, 3 + bytes.length, out, 5);
          expect(out.subarray(5, 37).equals(want)).toBe(true);
          expect([out[4], out[37]]).toEqual([0, 0]);
        },
      ),
      { numRuns: 1500 },
    );
  });

  run('writes its digest over its own input (overlapping spans, as the Merkle stack does)', () => {
    const s = impl as Sha256Span;
    for (const n of [0, 33, 64, 65, 200]) {
      const b = Buffer.alloc(300);
      for (let i = 0; i < b.length; i++) b[i] = (i * 7) & 0xff;
      const want = sha256(b.subarray(10, 10 + n));
      s.into(b, 10, 10 + n, b, 20);
      expect(b.subarray(20, 52).equals(want)).toBe(true);
    }
  });

  run('refuses a span outside its arrays with a RangeError, touching nothing', () => {
    const s = impl as Sha256Span;
    const b = Buffer.alloc(64, 9);
    const out = Buffer.alloc(40, 0);
    for (const [from, to, at] of [
      [-1, 10, 0],
      [10, 5, 0],
      [0, 65, 0],
      [0, 10, 9],
      [0, 10, -1],
      [0.5, 10, 0],
    ] as const) {
      expect(() => s.into(b, from, to, out, at), `${name} ${from} ${to} ${at}`).toThrow(RangeError);
      expect(() => s.equals(b, from, to, out, at)).toThrow(RangeError);
    }
    expect(out.every((x) => x === 0)).toBe(true);
  });
});

describe('the SHA-256 in use', () => {
  it('is the native one wherever the build could compile it (always in CI), else node:crypto', () => {
    const built = existsSync(path.join(root, 'dist', 'native', 'ledger.node'));
    if (process.env.CI === 'true')
      expect(built, 'npm run build did not compile ledger/native/*.c').toBe(true);
    expect(sha256Implementation()).toBe(built ? 'native' : 'node:crypto');
  });

  it('can be switched to node:crypto and back (the tests that compare verdicts do)', () => {
    const before = sha256Implementation();
    try {
      useSha256('node:crypto');
      expect(sha256Implementation()).toBe('node:crypto');
    } finally {
      if (before === 'native') useSha256('native');
    }
    expect(sha256Implementation()).toBe(before);
    if (nativeSha256 === null) expect(() => useSha256('native')).toThrow(/npm run build/);
  });

  it('a build without a C compiler says so in one line and leaves no module (node:crypto is used)', () => {
    const dist = mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-native-'));
    const cc = process.env.CC;
    const log = console.log;
    const lines: string[] = [];
    console.log = (...a: unknown[]) => void lines.push(a.join(' '));
    try {
      process.env.CC = path.join(dist, 'no-such-compiler');
      expect(buildNative(root, dist)).toBe(false);
    } finally {
      console.log = log;
      if (cc === undefined) delete process.env.CC;
      else process.env.CC = cc;
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^native verifier not built \(.*no-such-compiler not found\); verification runs without it \(node:crypto SHA-256, TypeScript chunk checker\)$/,
    );
    expect(existsSync(path.join(dist, 'native', 'ledger.node'))).toBe(false);
    rmSync(dist, { recursive: true, force: true });
  });
});
