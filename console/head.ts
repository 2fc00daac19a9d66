import { fromBase64 } from './bytes';

/** One stream line of a signed ledger head. */
export interface HeadStream {
  stream: string;
  treeSize: number;
  root: Uint8Array;
}

/** A parsed ledger head (docs/ledger-format.md#ledger-head). */
export interface BrowserHead {
  version: number;
  timestamp: string;
  /** The signed message: every line before the blank line, each with its "\n". */
  body: string;
  streams: HeadStream[];
  signatures: Array<{ keyId: string; signature: Uint8Array }>;
}

const STREAM = /^[a-z0-9][a-z0-9_.-]{0,62}$/;

/** Parses head text strictly, as core/ledger-head.ts does; throws an Error naming the bad line. */
export function parseHeadText(text: string): BrowserHead {
  const blank = text.indexOf('\n\n');
  if (blank < 0) throw new Error('head: no blank line between body and signatures');
  const body = text.slice(0, blank + 1);
  const lines = body.slice(0, -1).split('\n');
  if (lines.length < 4 || lines[0] !== 'ledgerflow-head/1')
    throw new Error('head: line 1 must be "ledgerflow-head/1"');
  const v = /^version ([1-9]\d{0,15})$/.exec(lines[1] as string);
  if (!v) throw new Error('head: line 2 must be "version <n>"');
  if (!/^previous [0-9a-f]{64}$/.test(lines[2] as string))
    throw new Error('head: line 3 must be "previous <64 hex>"');
  const t = /^timestamp (\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)$/.exec(lines[3] as string);
  if (!t) throw new Error('head: line 4 must be "timestamp <ISO time>"');
  const streams: HeadStream[] = [];
  lines.slice(4).forEach((line, i) => {
    const m = /^(\S+) ([1-9]\d{0,15}) ([A-Za-z0-9+/]{43}=)$/.exec(line);
    const root = m ? fromBase64(m[3] as string) : undefined;
    if (!m || !root || !STREAM.test(m[1] as string))
      throw new Error(`head: line ${i + 5} must be "<stream> <tree size> <base64 root>"`);
    const prev = streams.at(-1);
    if (prev && !(prev.stream < (m[1] as string)))
      throw new Error(`head: line ${i + 5}: streams must be sorted and unique`);
    streams.push({ stream: m[1] as string, treeSize: Number(m[2]), root });
  });
  const signatures: BrowserHead['signatures'] = [];
  for (const line of text.slice(blank + 2).split('\n')) {
    if (line === '') continue;
    const m = /^\u2014 ([0-9a-f]{16}) ([A-Za-z0-9+/]+={0,2})$/.exec(line);
    const signature = m ? fromBase64(m[2] as string) : undefined;
    if (!m || !signature) throw new Error('head: signature lines must be "— <key id> <base64 signature>"');
    signatures.push({ keyId: m[1] as string, signature });
  }
  if (signatures.length === 0) throw new Error('head: no signature');
  return { version: Number(v[1]), timestamp: t[1] as string, body, streams, signatures };
}
