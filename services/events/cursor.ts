import { z } from 'zod';
import { InputError } from '../../runtime/errors';

/** Where a page ended: the last event's order key, bound to the filter digest it was made for. */
export interface CursorPosition {
  /** occurred_at in integer microseconds since the epoch (decimal text). */
  occurredUs: string;
  stream: string;
  seq: number;
}

const CursorSchema = z
  .object({
    v: z.literal(1),
    f: z.string().regex(/^[0-9a-f]{16}$/),
    t: z.string().regex(/^-?\d{1,17}$/),
    s: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/),
    n: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  })
  .strict();

/**
 * An opaque cursor: base64url of a small JSON document holding only a position, never an
 * authority (the filter is re-applied on every page, so an edited cursor moves the position and
 * reveals nothing the filter does not). It is validated strictly and bound to its filter digest.
 */
export function encodeCursor(filterDigest: string, p: CursorPosition): string {
  return Buffer.from(
    JSON.stringify({ v: 1, f: filterDigest, t: p.occurredUs, s: p.stream, n: p.seq }),
  ).toString('base64url');
}

/** Reads a cursor made by {@link encodeCursor} for `filterDigest`; InputError for anything else. */
export function decodeCursor(cursor: string, filterDigest: string): CursorPosition {
  const bad = new InputError('cursor: not a cursor of this API (pass next_cursor back unchanged)');
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(cursor)) throw bad;
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad;
  }
  const c = CursorSchema.safeParse(raw);
  if (!c.success) throw bad;
  if (c.data.f !== filterDigest)
    throw new InputError('cursor: made for a different filter or order (start again without a cursor)');
  return { occurredUs: c.data.t, stream: c.data.s, seq: c.data.n };
}
