import { createHash } from 'node:crypto';
import { STREAM_NAME } from './audit-event';
import type { CheckpointSignature, ParsedCheckpoint } from './checkpoint';
import { signBytes, type Signer } from './signing';

/**
 * The signed ledger head: one document committing to every stream's size and Merkle root,
 * versioned and chained to the previous head by the SHA-256 of its body.
 *
 * ```
 * ledgerflow-head/1\n
 * version <n>\n
 * previous <hex SHA-256 of the previous head's body, 64 zeros for version 1>\n
 * timestamp <YYYY-MM-DDTHH:MM:SS.ffffffZ>\n
 * <stream> <tree size> <base64 root>\n      (one line per stream, sorted by name)
 * \n
 * — <key id> <base64 Ed25519 signature>\n
 * ```
 */
export const HEAD_ORIGIN = 'ledgerflow-head/1';
export const NO_PREVIOUS_HEAD = '0'.repeat(64);

export interface HeadEntry {
  stream: string;
  treeSize: number;
  rootHash: Buffer;
}

export interface LedgerHead {
  version: number;
  /** Hex SHA-256 of the previous head's body. */
  previous: string;
  timestamp: string;
  streams: HeadEntry[];
}

export interface ParsedHead extends LedgerHead {
  body: string;
  signatures: CheckpointSignature[];
  text: string;
}

const DASH = '\u2014';

/** The signed part of a head. */
export function headBody(h: LedgerHead): string {
  const streams = [...h.streams].sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0));
  return (
    `${HEAD_ORIGIN}\nversion ${h.version}\nprevious ${h.previous}\ntimestamp ${h.timestamp}\n` +
    streams.map((s) => `${s.stream} ${s.treeSize} ${s.rootHash.toString('base64')}\n`).join('')
  );
}

/** Hex SHA-256 of a head body: the next head's `previous`. */
export function headDigest(body: string): string {
  return createHash('sha256').update(body, 'utf8').digest('hex');
}

export function signHead(h: LedgerHead, signer: Signer): string {
  const body = headBody(h);
  return `${body}\n${DASH} ${signer.keyId} ${signBytes(signer, body).toString('base64')}\n`;
}

/** True when `text` looks like a ledger head rather than a per-stream checkpoint. */
export function isHeadText(text: string): boolean {
  return text.startsWith(`${HEAD_ORIGIN}\n`);
}

/** Parses head text strictly; throws TypeError naming the bad line. */
export function parseHead(text: string): ParsedHead {
  const blank = text.indexOf('\n\n');
  if (blank < 0) throw new TypeError('head: no blank line between body and signatures');
  const body = text.slice(0, blank + 1);
  const lines = body.slice(0, -1).split('\n');
  if (lines.length < 4 || lines[0] !== HEAD_ORIGIN)
    throw new TypeError(`head: line 1 must be "${HEAD_ORIGIN}"`);
  const v = /^version ([1-9]\d{0,15})$/.exec(lines[1] as string);
  if (!v) throw new TypeError('head: line 2 must be "version <n>"');
  const p = /^previous ([0-9a-f]{64})$/.exec(lines[2] as string);
  if (!p) throw new TypeError('head: line 3 must be "previous <64 hex>"');
  const t = /^timestamp (\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)$/.exec(lines[3] as string);
  if (!t) throw new TypeError('head: line 4 must be "timestamp <ISO time>"');
  const streams: HeadEntry[] = [];
  lines.slice(4).forEach((line, i) => {
    const m = /^(\S+) ([1-9]\d{0,15}) ([A-Za-z0-9+/]{43}=)$/.exec(line);
    const rootHash = m ? Buffer.from(m[3] as string, 'base64') : Buffer.alloc(0);
    if (!m || !STREAM_NAME.test(m[1] as string) || rootHash.toString('base64') !== m[3])
      throw new TypeError(`head: line ${i + 5} must be "<stream> <tree size> <base64 root>"`);
    const prev = streams.at(-1);
    if (prev && !(prev.stream < (m[1] as string)))
      throw new TypeError(`head: line ${i + 5}: streams must be sorted and unique`);
    streams.push({ stream: m[1] as string, treeSize: Number(m[2]), rootHash });
  });
  const signatures: CheckpointSignature[] = [];
  for (const line of text.slice(blank + 2).split('\n')) {
    if (line === '') continue;
    const m = new RegExp(`^${DASH} ([0-9a-f]{16}) ([A-Za-z0-9+/]+={0,2})$`).exec(line);
    if (!m) throw new TypeError('head: signature lines must be "— <key id> <base64 signature>"');
    signatures.push({ keyId: m[1] as string, signature: Buffer.from(m[2] as string, 'base64') });
  }
  if (signatures.length === 0) throw new TypeError('head: no signature');
  return {
    version: Number(v[1]),
    previous: p[1] as string,
    timestamp: t[1] as string,
    streams,
    body,
    signatures,
    text,
  };
}

/**
 * A head seen as one checkpoint per stream: each carries the head's body and signatures, so the
 * ordinary checkpoint signature check applies to it unchanged.
 */
export function headCheckpoints(h: ParsedHead): ParsedCheckpoint[] {
  return h.streams.map((s) => ({
    stream: s.stream,
    treeSize: s.treeSize,
    rootHash: s.rootHash,
    timestamp: h.timestamp,
    body: h.body,
    signatures: h.signatures,
    text: h.text,
  }));
}
