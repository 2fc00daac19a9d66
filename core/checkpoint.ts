import { signBytes, verifyBytes, verifyBytesAsync, type PublicKeyInfo, type Signer } from './signing';

/**
 * Signed checkpoints (signed tree heads), in the spirit of C2SP tlog-checkpoint:
 *
 * ```
 * ledgerflow/<stream>\n
 * <tree size, decimal>\n
 * <base64 root hash>\n
 * timestamp <YYYY-MM-DDTHH:MM:SS.ffffffZ>\n
 * \n
 * — <key id> <base64 Ed25519 signature>\n
 * ```
 *
 * The signature covers the body: the four lines before the blank line, each with its "\n".
 * The signature line starts with U+2014 EM DASH and a space, as in C2SP signed notes.
 */
export interface Checkpoint {
  stream: string;
  treeSize: number;
  rootHash: Buffer;
  /** Database clock when the checkpoint was made, microsecond UTC ISO form. */
  timestamp: string;
}

export interface CheckpointSignature {
  keyId: string;
  signature: Buffer;
}

export interface ParsedCheckpoint extends Checkpoint {
  body: string;
  signatures: CheckpointSignature[];
  text: string;
}

export const ORIGIN_PREFIX = 'ledgerflow/';
const DASH = '\u2014';

/** The signed part of a checkpoint. */
export function checkpointBody(c: Checkpoint): string {
  return `${ORIGIN_PREFIX}${c.stream}\n${c.treeSize}\n${c.rootHash.toString('base64')}\ntimestamp ${c.timestamp}\n`;
}

/** The full signed checkpoint text. */
export function signCheckpoint(c: Checkpoint, signer: Signer): string {
  const body = checkpointBody(c);
  return `${body}\n${DASH} ${signer.keyId} ${signBytes(signer, body).toString('base64')}\n`;
}

/** Parses checkpoint text strictly; throws TypeError naming the bad line. */
export function parseCheckpoint(text: string): ParsedCheckpoint {
  const blank = text.indexOf('\n\n');
  if (blank < 0) throw new TypeError('checkpoint: no blank line between body and signatures');
  const body = text.slice(0, blank + 1);
  const lines = body.slice(0, -1).split('\n');
  if (lines.length !== 4) throw new TypeError(`checkpoint: body must have 4 lines, has ${lines.length}`);
  const [origin, size, root, ts] = lines as [string, string, string, string];
  if (!origin.startsWith(ORIGIN_PREFIX))
    throw new TypeError(`checkpoint: origin line must start with "${ORIGIN_PREFIX}"`);
  if (!/^(0|[1-9]\d{0,15})$/.test(size)) throw new TypeError('checkpoint: line 2 must be the tree size');
  const rootHash = Buffer.from(root, 'base64');
  if (rootHash.length !== 32 || rootHash.toString('base64') !== root)
    throw new TypeError('checkpoint: line 3 must be a base64 SHA-256 root hash');
  const tm = /^timestamp (\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)$/.exec(ts);
  if (!tm) throw new TypeError('checkpoint: line 4 must be "timestamp <ISO time>"');
  const signatures: CheckpointSignature[] = [];
  for (const line of text.slice(blank + 2).split('\n')) {
    if (line === '') continue;
    const m = new RegExp(`^${DASH} ([0-9a-f]{16}) ([A-Za-z0-9+/]+={0,2})$`).exec(line);
    if (!m) throw new TypeError('checkpoint: signature lines must be "— <key id> <base64 signature>"');
    signatures.push({ keyId: m[1] as string, signature: Buffer.from(m[2] as string, 'base64') });
  }
  if (signatures.length === 0) throw new TypeError('checkpoint: no signature');
  return {
    stream: origin.slice(ORIGIN_PREFIX.length),
    treeSize: Number(size),
    rootHash,
    timestamp: tm[1] as string,
    body,
    signatures,
    text,
  };
}

/**
 * Verdicts already reached, by parsed signature (a head's stream checkpoints share its
 * signatures), with the body and key they were reached for.
 */
const verdicts = new WeakMap<CheckpointSignature, { body: string; publicKey: Buffer; ok: boolean }>();

function verdictOf(s: CheckpointSignature, body: string, publicKey: Buffer) {
  const v = verdicts.get(s);
  return v && v.body === body && v.publicKey.equals(publicKey) ? v.ok : undefined;
}

/**
 * Checks the signatures of `cps` by trusted keys on libuv's thread pool and remembers the
 * verdicts, so that {@link verifyCheckpointSignature} of the same parsed checkpoints later finds
 * them made instead of verifying on this thread. Never rejects.
 */
export async function preverifyCheckpointSignatures(
  cps: Array<Pick<ParsedCheckpoint, 'body' | 'signatures'>>,
  trusted: Map<string, PublicKeyInfo>,
): Promise<void> {
  const started = new Set<CheckpointSignature>();
  const pending: Array<Promise<void>> = [];
  for (const cp of cps)
    for (const s of cp.signatures) {
      const key = trusted.get(s.keyId);
      if (!key || started.has(s) || verdictOf(s, cp.body, key.publicKey) !== undefined) continue;
      started.add(s);
      pending.push(
        verifyBytesAsync(key.publicKey, cp.body, s.signature).then((ok) => {
          verdicts.set(s, { body: cp.body, publicKey: key.publicKey, ok });
        }),
      );
    }
  await Promise.all(pending);
}

/**
 * Checks a checkpoint's signatures against trusted keys: valid when at least one signature is
 * by a trusted key and verifies. Keys that are not trusted count for nothing.
 */
export function verifyCheckpointSignature(
  cp: Pick<ParsedCheckpoint, 'body' | 'signatures'>,
  trusted: Map<string, PublicKeyInfo>,
): { ok: true; keyId: string } | { ok: false; reason: string } {
  for (const s of cp.signatures) {
    const key = trusted.get(s.keyId);
    if (!key) continue;
    let ok = verdictOf(s, cp.body, key.publicKey);
    if (ok === undefined) {
      ok = verifyBytes(key.publicKey, cp.body, s.signature);
      verdicts.set(s, { body: cp.body, publicKey: key.publicKey, ok });
    }
    if (ok) return { ok: true, keyId: s.keyId };
  }
  const ids = cp.signatures.map((s) => s.keyId).join(', ');
  const known = cp.signatures.some((s) => trusted.has(s.keyId));
  return {
    ok: false,
    reason: known ? `signature by key ${ids} does not verify` : `signed by key ${ids}, which is not trusted`,
  };
}
