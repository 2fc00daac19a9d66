import { canonicalJson } from '../core/canonical-json';
import { equalBytes, fromBase64, fromHex, sha256, toBase64, toHex, utf8 } from './bytes';
import { parseHeadText, type BrowserHead } from './head';
import { verifyEd25519, type PinnedKey } from './keys';

/**
 * The proof check the console runs in the browser, from docs/ledger-format.md alone: nothing the
 * server says about validity is used. The event hash is recomputed from the event's members, the
 * leaf and audit path lead to a root, the root must be the stream's root in the signed head, and
 * the head must carry a valid Ed25519 signature by a pinned key.
 */

/** An event as `GET /v1/events/:stream/:seq` serves it (hashes hex). */
export interface ServedEvent {
  stream: string;
  seq: number;
  event_id: string;
  event_type: string;
  occurred_at: string;
  actor: unknown;
  resource: unknown;
  action: string;
  outcome: string;
  subject_id: string | null;
  case_id: string | null;
  context: unknown;
  schema_version: number;
  idempotency_key: string;
  payload_digest: string;
  prev_hash: string;
  hash: string;
}

/** The inclusion proof document served with the event (ledger/proofs.ts InclusionProofDoc). */
export interface ServedProof {
  stream: string;
  seq: number;
  leafIndex: number;
  treeSize: number;
  proof: string[];
}

/** What the browser concluded; `steps` lists every check that held, in order. */
export type Verdict =
  | { ok: true; steps: string[]; keyId: string; headVersion: number }
  | { ok: false; steps: string[]; reason: string };

/** `SHA-256(prev_hash || u64_be(seq) || UTF-8(JCS(envelope)) || payload_digest)`. */
export async function eventHash(e: ServedEvent): Promise<Uint8Array> {
  const prev = fromHex(e.prev_hash, 32);
  const digest = fromHex(e.payload_digest, 32);
  if (!prev) throw new Error('prev_hash is not 64 lower-case hex digits');
  if (!digest) throw new Error('payload_digest is not 64 lower-case hex digits');
  if (!Number.isSafeInteger(e.seq) || e.seq < 1) throw new Error('seq is not a positive integer');
  const seq = new Uint8Array(8);
  new DataView(seq.buffer).setBigUint64(0, BigInt(e.seq));
  const envelope = canonicalJson({
    stream: e.stream,
    event_id: e.event_id,
    event_type: e.event_type,
    actor: e.actor,
    occurred_at: e.occurred_at,
    resource: e.resource,
    action: e.action,
    outcome: e.outcome,
    subject_id: e.subject_id,
    case_id: e.case_id,
    context: e.context,
    schema_version: e.schema_version,
    idempotency_key: e.idempotency_key,
  });
  return sha256(prev, seq, utf8(envelope), digest);
}

const node = (l: Uint8Array, r: Uint8Array) => sha256(Uint8Array.of(1), l, r);

/** RFC 9162 §2.1.3.2: the root the audit path leads to from leaf `index`, or undefined when the path has the wrong length. */
export async function rootFromInclusion(
  index: number,
  size: number,
  leaf: Uint8Array,
  proof: Uint8Array[],
): Promise<Uint8Array | undefined> {
  if (!(index >= 0 && index < size)) return undefined;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return undefined;
    if (fn % 2 === 1 || fn === sn) {
      r = await node(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await node(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : undefined;
}

/**
 * Verifies `event` with its inclusion `proof` against the signed head text `headText` and the
 * pinned keys. Served keys are never consulted.
 */
export async function verifyEventProof(
  event: ServedEvent,
  proof: ServedProof,
  headText: string,
  pinned: PinnedKey[],
): Promise<Verdict> {
  const steps: string[] = [];
  const fail = (reason: string): Verdict => ({ ok: false, steps, reason });
  let hash: Uint8Array;
  try {
    hash = await eventHash(event);
  } catch (err) {
    return fail(`the event cannot be hashed: ${(err as Error).message}`);
  }
  if (toHex(hash) !== event.hash)
    return fail(
      `the event's members hash to ${toHex(hash).slice(0, 16)}…, not to its recorded hash ${String(event.hash).slice(0, 16)}…: the event was changed`,
    );
  steps.push(`event hash recomputed from its members: ${toHex(hash)}`);
  if (proof.stream !== event.stream || proof.seq !== event.seq || proof.leafIndex !== event.seq - 1)
    return fail(
      `the proof is for ${proof.stream}:${proof.seq} (leaf ${proof.leafIndex}), not for this event`,
    );
  const path = proof.proof.map((h) => fromHex(h, 32));
  if (path.some((p) => !p)) return fail('the audit path holds a hash that is not 64 hex digits');
  const leaf = await sha256(Uint8Array.of(0), hash);
  const root = await rootFromInclusion(proof.leafIndex, proof.treeSize, leaf, path as Uint8Array[]);
  if (!root)
    return fail(`the audit path has the wrong length for leaf ${proof.leafIndex} of ${proof.treeSize}`);
  steps.push(
    `audit path of ${path.length} hash${path.length === 1 ? '' : 'es'} leads to root ${toBase64(root)}`,
  );
  let head: BrowserHead;
  try {
    head = parseHeadText(headText);
  } catch (err) {
    return fail(`the signed head is malformed: ${(err as Error).message}`);
  }
  const line = head.streams.find((s) => s.stream === event.stream);
  if (!line) return fail(`the signed head (version ${head.version}) does not list stream ${event.stream}`);
  if (line.treeSize !== proof.treeSize)
    return fail(`the proof is for tree size ${proof.treeSize}, the signed head says ${line.treeSize}`);
  if (!equalBytes(line.root, root))
    return fail(
      `the audit path leads to root ${toBase64(root)}, but the signed head says ${toBase64(line.root)} for ${event.stream} at size ${line.treeSize}`,
    );
  steps.push(`root matches stream ${event.stream} at size ${line.treeSize} in head version ${head.version}`);
  const byId = new Map(pinned.map((k) => [k.keyId, k]));
  const candidates = head.signatures.filter((s) => byId.has(s.keyId));
  if (candidates.length === 0)
    return fail(
      `the head is signed by ${head.signatures.map((s) => s.keyId).join(', ')}; none of these keys is pinned in this console`,
    );
  for (const s of candidates) {
    const key = fromBase64((byId.get(s.keyId) as PinnedKey).publicKey);
    if (key && (await verifyEd25519(key, utf8(head.body), s.signature))) {
      steps.push(`head signature by pinned key ${s.keyId} holds (Ed25519)`);
      return { ok: true, steps, keyId: s.keyId, headVersion: head.version };
    }
  }
  return fail(
    `the head's signature by pinned key ${candidates.map((s) => s.keyId).join(', ')} does not verify`,
  );
}

/** Checks only the head's signature against the pinned keys (the status view). */
export async function verifyHeadSignature(headText: string, pinned: PinnedKey[]): Promise<Verdict> {
  let head: BrowserHead;
  try {
    head = parseHeadText(headText);
  } catch (err) {
    return { ok: false, steps: [], reason: `the signed head is malformed: ${(err as Error).message}` };
  }
  const byId = new Map(pinned.map((k) => [k.keyId, k]));
  for (const s of head.signatures) {
    const k = byId.get(s.keyId);
    const key = k ? fromBase64(k.publicKey) : undefined;
    if (key && (await verifyEd25519(key, utf8(head.body), s.signature)))
      return {
        ok: true,
        steps: [`signed by pinned key ${s.keyId}`],
        keyId: s.keyId,
        headVersion: head.version,
      };
  }
  return {
    ok: false,
    steps: [],
    reason: `no valid signature by a pinned key (signed by ${head.signatures.map((s) => s.keyId).join(', ')})`,
  };
}
