import { z } from 'zod';
import { verifyCheckpointSignature } from './checkpoint';
import { HEAD_ORIGIN, headDigest, parseHead, type ParsedHead } from './ledger-head';
import type { PublicKeyInfo } from './signing';

/**
 * The external witness: signed ledger heads published outside the database, append-only. A
 * witness log is the concatenation of head texts exactly as signed (docs/ledger-format.md,
 * "Witness log"); each record starts at a line equal to `ledgerflow-head/1`.
 */

/** The ledger event (stream `compliance`) recording each scheduled comparison with the witness. */
export const WITNESS_CHECKED_EVENT = 'ledger.witness_checked';

/** The file a directory witness appends to. */
export const WITNESS_LOG_FILE = 'ledger-heads.log';

/** Splits a witness log into record texts. Bytes before the first record form a record of their own (which fails to parse). */
export function splitWitnessLog(text: string): string[] {
  const starts = [...text.matchAll(new RegExp(`^${HEAD_ORIGIN.replace('/', '\\/')}$`, 'gm'))].map(
    (m) => m.index,
  );
  if (starts[0] !== 0 && text.length > 0) starts.unshift(0);
  return starts.map((s, i) => text.slice(s, starts[i + 1] ?? text.length));
}

/** The witness's records that parse and verify, by version, and what is wrong with the others. */
export interface WitnessRecords {
  /** Valid heads sorted by version, one per version. */
  heads: ParsedHead[];
  /** Records counted in the log (valid or not). */
  count: number;
  /** One line per bad record or broken link between published heads. */
  problems: string[];
}

/**
 * Checks every record: it parses, is signed by a trusted key, two records of one version are the
 * same head, consecutive versions chain (`previous` is the digest of the one before), and no later
 * head drops or shrinks a stream an earlier one listed. Records may be out of order in the log
 * (concurrent publishers); they are compared by version.
 */
export function checkWitnessRecords(texts: string[], keys: Map<string, PublicKeyInfo>): WitnessRecords {
  const problems: string[] = [];
  const byVersion = new Map<number, ParsedHead>();
  texts.forEach((text, i) => {
    let h: ParsedHead;
    try {
      h = parseHead(text);
    } catch (err) {
      problems.push(`witness record ${i + 1} is malformed: ${(err as Error).message}`);
      return;
    }
    const sig = verifyCheckpointSignature(h, keys);
    if (!sig.ok) {
      problems.push(`witness record ${i + 1} (head version ${h.version}): signature invalid: ${sig.reason}`);
      return;
    }
    const same = byVersion.get(h.version);
    if (same && same.text !== h.text) {
      problems.push(`witness record ${i + 1}: a second, different head of version ${h.version}`);
      return;
    }
    byVersion.set(h.version, h);
  });
  const heads = [...byVersion.values()].sort((a, b) => a.version - b.version);
  for (let i = 1; i < heads.length; i++) {
    const prev = heads[i - 1] as ParsedHead;
    const h = heads[i] as ParsedHead;
    if (h.version === prev.version + 1 && h.previous !== headDigest(prev.body))
      problems.push(`published head version ${h.version} does not chain to version ${prev.version}`);
    const lost = shrunk(prev, h);
    if (lost) problems.push(`published head version ${h.version} ${lost} of version ${prev.version}`);
  }
  return { heads, count: texts.length, problems };
}

/** How `later` loses a stream `earlier` listed ("drops stream s", "shrinks stream s"), or null. */
export function shrunk(earlier: ParsedHead, later: ParsedHead): string | null {
  const now = new Map(later.streams.map((s) => [s.stream, s.treeSize]));
  for (const s of earlier.streams) {
    const n = now.get(s.stream);
    if (n === undefined) return `drops stream ${s.stream}`;
    if (n < s.treeSize) return `shrinks stream ${s.stream} (${s.treeSize} -> ${n})`;
  }
  return null;
}

/**
 * consistent: the live ledger extends every published head; empty: nothing published yet;
 * fork: the live ledger disagrees with a published head (same size, other root; growth that is
 * not an extension; a rewritten head); rollback: the live ledger is older or smaller than what
 * was published; bad_witness: a witness record is malformed, unsigned or out of chain.
 */
export const WitnessStatusSchema = z.enum(['consistent', 'empty', 'fork', 'rollback', 'bad_witness']);
export type WitnessStatus = z.infer<typeof WitnessStatusSchema>;

const HeadRefSchema = z
  .object({ version: z.number().int(), timestamp: z.string(), digest: z.string() })
  .strict();

/** One stream of the last published head against the live ledger. */
export const WitnessStreamSchema = z
  .object({
    stream: z.string(),
    published_size: z.number().int(),
    live_size: z.number().int().nullable(),
    result: z.enum(['same', 'extended', 'fork', 'rollback']),
    /** Hashes in the RFC 6962 consistency proof (extended streams). */
    proof_hashes: z.number().int().nullable(),
  })
  .strict();
export type WitnessStream = z.infer<typeof WitnessStreamSchema>;

/** The outcome of comparing the live ledger with its witness. */
export const WitnessCheckSchema = z
  .object({
    status: WitnessStatusSchema,
    /** True for consistent and empty. */
    ok: z.boolean(),
    /** One line: what was found (the first fork or rollback, else the first problem). */
    detail: z.string(),
    witness: z.string(),
    records: z.number().int(),
    published: HeadRefSchema.nullable(),
    live: HeadRefSchema.nullable(),
    streams: z.array(WitnessStreamSchema),
    problems: z.array(z.string()),
    warnings: z.array(z.string()),
  })
  .strict();
export type WitnessCheck = z.infer<typeof WitnessCheckSchema>;

/** The reference a check result carries for a head. */
export function headRef(h: ParsedHead): z.infer<typeof HeadRefSchema> {
  return { version: h.version, timestamp: h.timestamp, digest: headDigest(h.body) };
}
