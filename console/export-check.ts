import { canonicalJson } from '../core/canonical-json';
import { equalBytes, fromBase64, fromHex, sha256, toHex, utf8 } from './bytes';
import { parseHeadText } from './head';
import { verifyEd25519, type PinnedKey } from './keys';
import { eventHash, rootFromInclusion, verifyHeadSignature, type ServedEvent } from './verify';

/** What the browser concluded about a filtered export file (docs/ledger-format.md#filtered-export). */
export type ExportVerdict =
  { ok: true; count: number; headVersion: number; keyId: string } | { ok: false; reason: string };

interface EventLine {
  type: 'event';
  event: ServedEvent & { payload: unknown; payload_salt: string | null };
  proof: string[];
  tree_size: number;
}

/**
 * Checks a filtered export as its spec says, in the browser: canonical lines; the head signed by
 * a pinned key; each event's hash recomputed, its payload against its salted digest, its
 * inclusion proof against the head's root; the manifest signed by a pinned key and matching the
 * file (count, events digest, head version and digest, order).
 */
export async function verifyExportText(text: string, pinned: PinnedKey[]): Promise<ExportVerdict> {
  const fail = (reason: string): ExportVerdict => ({ ok: false, reason });
  if (!text.endsWith('\n')) return fail('the file does not end with a line end');
  const lines = text.slice(0, -1).split('\n');
  const parsed: Array<Record<string, unknown>> = [];
  for (const [i, line] of lines.entries()) {
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      return fail(`line ${i + 1} is not JSON`);
    }
    if (canonicalJson(v) !== line) return fail(`line ${i + 1} is not canonical JSON`);
    parsed.push(v as Record<string, unknown>);
  }
  const first = parsed[0];
  const last = parsed.at(-1);
  if (first?.type !== 'head' || typeof first.head !== 'string')
    return fail('the first line is not the head line');
  if (parsed.length < 2 || last?.type !== 'manifest') return fail('the last line is not the manifest');
  const signed = await verifyHeadSignature(first.head, pinned);
  if (!signed.ok) return fail(`the export's head: ${signed.reason}`);
  const head = parseHeadText(first.head);
  const roots = new Map(head.streams.map((s) => [s.stream, s]));
  const eventLines = lines.slice(1, -1);
  for (const [i, raw] of parsed.slice(1, -1).entries()) {
    const where = `line ${i + 2}`;
    const l = raw as unknown as EventLine;
    if (l.type !== 'event' || !l.event) return fail(`${where} is not an event line`);
    const e = l.event;
    const line = roots.get(e.stream);
    if (!line || line.treeSize !== l.tree_size || !(e.seq <= l.tree_size))
      return fail(`${where}: ${e.stream}:${e.seq} is not within the signed head`);
    let hash: Uint8Array;
    try {
      hash = await eventHash(e);
    } catch (err) {
      return fail(`${where}: ${(err as Error).message}`);
    }
    if (toHex(hash) !== e.hash)
      return fail(`${where}: event ${e.stream}:${e.seq} was changed (its members do not hash to its hash)`);
    if (e.payload !== null) {
      const salt = fromHex(e.payload_salt, 16);
      const digest = salt && (await sha256(salt, utf8(canonicalJson(e.payload))));
      if (!digest || toHex(digest) !== e.payload_digest)
        return fail(`${where}: the payload of ${e.stream}:${e.seq} was changed`);
    }
    const path = l.proof.map((p) => fromHex(p, 32));
    if (path.some((p) => !p)) return fail(`${where}: the proof holds a hash that is not 64 hex digits`);
    const root = await rootFromInclusion(
      e.seq - 1,
      l.tree_size,
      await sha256(Uint8Array.of(0), hash),
      path as Uint8Array[],
    );
    if (!root || !equalBytes(root, line.root))
      return fail(`${where}: the proof of ${e.stream}:${e.seq} does not reach the signed root`);
  }
  const m = last as {
    manifest?: Record<string, unknown>;
    signatures?: Array<{ key_id: string; signature: string }>;
  };
  const manifest = m.manifest ?? {};
  const byId = new Map(pinned.map((k) => [k.keyId, k]));
  let keyId: string | undefined;
  for (const s of m.signatures ?? []) {
    const k = byId.get(s.key_id);
    const key = k && fromBase64(k.publicKey);
    const sig = fromBase64(s.signature);
    if (key && sig && (await verifyEd25519(key, utf8(canonicalJson(manifest)), sig))) keyId = s.key_id;
  }
  if (!keyId) return fail('the manifest carries no valid signature by a pinned key');
  const eventsDigest = toHex(await sha256(utf8(eventLines.map((l) => `${l}\n`).join(''))));
  const bodyDigest = toHex(await sha256(utf8(head.body)));
  if (manifest.count !== eventLines.length)
    return fail(`the manifest counts ${String(manifest.count)} events, the file holds ${eventLines.length}`);
  if (manifest.events_sha256 !== eventsDigest)
    return fail("the manifest's events digest does not match the event lines");
  if (manifest.head_version !== head.version || manifest.head_sha256 !== bodyDigest)
    return fail('the manifest names another head');
  if (manifest.order !== first.order) return fail("the manifest's order differs from the head line's");
  return { ok: true, count: eventLines.length, headVersion: head.version, keyId };
}
