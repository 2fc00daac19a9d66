import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLE_FORMAT, TAIL_CHUNK_MIN_BYTES, bundleChunkSizes, verifyBundle } from '../ledger/bundle';
import { LineChunker, fileLineChunks } from '../ledger/line-chunks';

/**
 * verify-bundle cuts the end of events.jsonl into smaller chunks (so the workers finish
 * together): every cut must still be a whole-line chunk, each the shortest one reaching its
 * size, however the bytes arrive.
 */

const dir = mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-chunk-sizes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The reference cut: from `offset`, the shortest run of whole lines of at least `sizeAt(offset)` bytes. */
function referenceCuts(input: Buffer, size: number, sizeAt?: (offset: number) => number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < input.length;) {
    const want = Math.max(1, Math.min(size, Math.floor(sizeAt ? sizeAt(at) : size)));
    const nl = input.indexOf(10, at + want - 1);
    const end = nl === -1 ? input.length : nl + 1;
    out.push(input.subarray(at, end));
    at = end;
  }
  return out;
}

const lines = fc
  .array(fc.string({ unit: fc.constantFrom('a', 'é', '\n', 'x', '{'), maxLength: 60 }), { maxLength: 40 })
  .map((ls) => Buffer.from(ls.join('\n') + (ls.length % 2 ? '\n' : '')));
/** Sizes that vary with the offset (as the tail schedule does), including 0, negatives and fractions. */
const schedules = fc
  .array(fc.double({ min: -5, max: 400, noNaN: true }), { minLength: 1, maxLength: 8 })
  .map((xs) => (offset: number) => xs[offset % xs.length] as number);

describe('chunk sizes that vary along the file', () => {
  it('cut whole lines, each the shortest run reaching its size, in pieces of any size', () => {
    fc.assert(
      fc.property(
        lines,
        fc.integer({ min: 1, max: 300 }),
        schedules,
        fc.integer({ min: 1, max: 97 }),
        (input, size, sizeAt, piece) => {
          const chunker = new LineChunker(size, [], sizeAt);
          const got: Buffer[] = [];
          for (let at = 0; at < input.length; at += piece)
            got.push(
              ...chunker.push(input, at, Math.min(input.length, at + piece)).map((c) => Buffer.from(c)),
            );
          const last = chunker.end();
          if (last) got.push(Buffer.from(last));
          expect(got).toEqual(referenceCuts(input, size, sizeAt));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('read from a file give the same chunks', async () => {
    await fc.assert(
      fc.asyncProperty(lines, fc.integer({ min: 1, max: 300 }), schedules, async (input, size, sizeAt) => {
        const file = path.join(dir, 'events.jsonl');
        writeFileSync(file, input);
        const handle = await open(file, 'r');
        const got: Buffer[] = [];
        for await (const c of fileLineChunks(handle, size, [], sizeAt)) got.push(Buffer.from(c));
        await handle.close();
        expect(got).toEqual(referenceCuts(input, size, sizeAt));
      }),
      { numRuns: 100 },
    );
  });

  it('reuse the buffers handed back through spare, as the verification read does', async () => {
    const input = Buffer.from(
      Array.from({ length: 30_000 }, (_, i) => `line ${i} ${'x'.repeat(i % 50)}`).join('\n'),
    );
    const file = path.join(dir, 'spare.jsonl');
    writeFileSync(file, input);
    const spare: Buffer[] = [];
    const handle = await open(file, 'r');
    const got: Buffer[] = [];
    const buffers = new Set<ArrayBufferLike>();
    for await (const c of fileLineChunks(
      handle,
      64 << 10,
      spare,
      bundleChunkSizes(input.length, 64 << 10, 2),
    )) {
      got.push(Buffer.from(c));
      buffers.add(c.buffer);
      spare.push(Buffer.from(c.buffer));
    }
    await handle.close();
    expect(Buffer.concat(got)).toEqual(input);
    expect(buffers.size).toBeLessThanOrEqual(3);
  });
});

describe('bundleChunkSizes', () => {
  it('keeps the full size until the last chunks, then shares what is left among the workers', () => {
    const MiB = 1 << 20;
    const sizes = bundleChunkSizes(22 * MiB, MiB, 2);
    expect(sizes(0)).toBe(MiB);
    expect(sizes(18 * MiB)).toBe(MiB);
    expect(sizes(19 * MiB)).toBe((3 * MiB) / 4);
    expect(sizes(22 * MiB - 100)).toBe(TAIL_CHUNK_MIN_BYTES);
    const small = bundleChunkSizes(30_000, 1500, 1);
    expect(small(0)).toBe(1500);
    expect(small(29_000)).toBe(500);
    expect(small(29_990)).toBe(187);
  });

  it('never exceeds chunkBytes nor falls below its floor, and shrinks towards the end', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e9 }),
        fc.integer({ min: 1, max: 1 << 24 }),
        fc.integer({ min: 1, max: 8 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (fileBytes, chunkBytes, workers, f) => {
          const sizes = bundleChunkSizes(fileBytes, chunkBytes, workers);
          const offset = Math.floor(f * fileBytes);
          const floor = Math.max(1, Math.min(TAIL_CHUNK_MIN_BYTES, chunkBytes >> 3));
          expect(sizes(offset)).toBeLessThanOrEqual(chunkBytes);
          expect(sizes(offset)).toBeGreaterThanOrEqual(Math.min(chunkBytes, floor));
          expect(sizes(offset)).toBeGreaterThanOrEqual(sizes(Math.min(fileBytes, offset + 1000)));
        },
      ),
    );
  });
});

describe('verifyBundle reading events.jsonl ahead of the rest of the bundle', () => {
  it('still throws a read error of events.jsonl (it is read before anyone waits for it)', async () => {
    const d = path.join(dir, 'unreadable');
    mkdirSync(path.join(d, 'events.jsonl'), { recursive: true });
    writeFileSync(path.join(d, 'manifest.json'), JSON.stringify({ format: BUNDLE_FORMAT, files: {} }));
    for (const workers of [0, 1])
      await expect(verifyBundle(d, { trustedKeys: new Map(), workers })).rejects.toThrow(/EISDIR/);
  });
});
