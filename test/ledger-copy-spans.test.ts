import { describe, expect, it } from 'vitest';
import { LineChunker } from '../ledger/line-chunks';

/**
 * The COPY reader hands the chunker the CopyData bodies of a whole socket read at once
 * (`pushSpans`: one copy, then the headers' gaps closed in place). It must cut exactly the chunks
 * that pushing the same ranges one by one cuts, wherever the ranges start, end and split lines.
 */

/** A deterministic generator, so a failure names its seed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Lines of random length and bytes (none a \n but the last), framed as ranges with gaps between them. */
function framed(rnd: () => number, lines: number): { piece: Buffer; spans: number[] } {
  const parts: Buffer[] = [];
  const spans: number[] = [];
  let at = 0;
  for (let i = 0; i < lines; i++) {
    const gap = Math.floor(rnd() * 7);
    const line = Buffer.alloc(1 + Math.floor(rnd() * (rnd() < 0.1 ? 3000 : 120)));
    for (let k = 0; k < line.length - 1; k++) line[k] = 11 + Math.floor(rnd() * 240);
    line[line.length - 1] = 10;
    parts.push(Buffer.alloc(gap, 0x64), line);
    // A line's body may come as two ranges (a message split between two reads).
    const cut = rnd() < 0.2 ? Math.floor(rnd() * line.length) : 0;
    if (cut > 0) spans.push(at + gap, at + gap + cut, at + gap + cut, at + gap + line.length);
    else spans.push(at + gap, at + gap + line.length);
    at += gap + line.length;
  }
  return { piece: Buffer.concat(parts), spans };
}

const copyOf = (chunks: Buffer[]) => chunks.map((c) => Buffer.from(c));

describe('LineChunker.pushSpans', () => {
  it('cuts the chunks that pushing each range does, for any sizes and batches', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const rnd = random(seed);
      const { piece, spans } = framed(rnd, 50 + Math.floor(rnd() * 400));
      const size = 1 + Math.floor(rnd() * (rnd() < 0.5 ? 200 : 20_000));
      const total = spans.reduce((n, v, i) => (i % 2 ? n + v - (spans[i - 1] as number) : n), 0);
      const sizeAt = seed % 3 === 0 ? (offset: number) => Math.max(1, (total - offset) >> 2) : undefined;
      const one = new LineChunker(size, [], sizeAt);
      const want: Buffer[] = [];
      for (let i = 0; i < spans.length; i += 2)
        want.push(...copyOf(one.push(piece, spans[i] as number, spans[i + 1] as number)));
      const rest = one.end();
      if (rest) want.push(Buffer.from(rest));

      const batched = new LineChunker(size, [], sizeAt);
      const all = Int32Array.from(spans);
      const got: Buffer[] = [];
      for (let from = 0; from < spans.length / 2;) {
        const to = Math.min(spans.length / 2, from + 1 + Math.floor(rnd() * 40));
        got.push(...copyOf(batched.pushSpans(piece, all, from, to)));
        from = to;
      }
      const last = batched.end();
      if (last) got.push(Buffer.from(last));
      expect(got.length, `seed ${seed}`).toBe(want.length);
      for (const [i, c] of got.entries())
        expect(c.equals(want[i] as Buffer), `seed ${seed} chunk ${i}`).toBe(true);
    }
  });

  it('adds nothing for an empty batch', () => {
    const c = new LineChunker(4);
    expect(c.pushSpans(Buffer.from('ab\n'), Int32Array.from([0, 3]), 1, 1)).toEqual([]);
    expect(c.end()).toBeNull();
  });
});
