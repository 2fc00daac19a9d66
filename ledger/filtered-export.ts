import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { CommittedEvent } from '../core/audit-event';
import { canonicalJson } from '../core/canonical-json';
import { verifyCheckpointSignature } from '../core/checkpoint';
import { canonicalEnvelope, chainHash, payloadDigest } from '../core/hash-chain';
import { headDigest, parseHead, type ParsedHead } from '../core/ledger-head';
import { leafHash, verifyInclusion } from '../core/merkle';
import { signBytes, verifyBytes, type PublicKeyInfo, type Signer } from '../core/signing';
import { parseBundleLine, type BundleEvent } from './bundle';

/**
 * A filtered export (docs/ledger-format.md, "Filtered export"): one JSONL file whose lines are
 * RFC 8785 canonical JSON: a `head` line (the signed ledger head every proof is against), one
 * `event` line per event (the 20 bundle members and its inclusion proof), and a signed
 * `manifest` line (filter, count, digests of the event lines and of the CSV view, the head).
 */
export const EXPORT_FORMAT = 'ledgerflow-export/1';

/** The signed manifest: what was exported, how many, and digests binding the lines and the CSV view. */
export interface ExportManifest {
  format: typeof EXPORT_FORMAT;
  created_at: string;
  exported_by: string;
  filter: Record<string, unknown>;
  order: 'asc' | 'desc';
  count: number;
  /** SHA-256 (hex) of every event line with its `\n`, in file order. */
  events_sha256: string;
  /** SHA-256 (hex) of the CSV view of the same events (see {@link csvHeader}, {@link csvLine}). */
  csv_sha256: string;
  head_version: number;
  /** SHA-256 (hex) of the head's body: the head line must carry this head. */
  head_sha256: string;
}

/** The head line: the format, the signed head every proof is against, and the event order. */
export function headLine(head: ParsedHead, order: 'asc' | 'desc'): string {
  return `${canonicalJson({ format: EXPORT_FORMAT, head: head.text, order, type: 'head' })}\n`;
}

/** One event line: the bundle members, and the inclusion proof against the head's root of its stream. */
export function eventLine(event: BundleEvent, proof: string[], treeSize: number): string {
  const fast = fastEventJson(event);
  if (fast === undefined || !proof.every((h) => HEX.test(h)) || !Number.isSafeInteger(treeSize))
    return `${canonicalJson({ event, proof, tree_size: treeSize, type: 'event' })}\n`;
  return `{"event":${fast},"proof":[${proof.length ? `"${proof.join('","')}"` : ''}],"tree_size":${treeSize},"type":"event"}\n`;
}

const HEX = /^[0-9a-f]*$/;
const q = JSON.stringify;
const str = (v: unknown): v is string => typeof v === 'string';
const strOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';

/** `{"id":…,"type":…}` when `v` is an object of exactly those two strings. */
function idType(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as { id?: unknown; type?: unknown; toJSON?: unknown };
  if (!str(o.id) || !str(o.type) || o.toJSON != null || Object.keys(o).length !== 2) return undefined;
  return `{"id":${q(o.id)},"type":${q(o.type)}}`;
}

/**
 * RFC 8785 JSON of an exported event written out in its fixed member order (UTF-16 order of the
 * 20 names), when every member has the type the export gives it; undefined otherwise (then the
 * generic canonicaliser decides). Same bytes (test/export-line.test.ts); the line serialisation
 * was a sixth of an export's CPU.
 */
function fastEventJson(e: BundleEvent): string | undefined {
  const actor = idType(e.actor);
  const resource = idType(e.resource);
  if (
    actor === undefined ||
    resource === undefined ||
    Object.keys(e).length !== 20 ||
    !str(e.action) ||
    !strOrNull(e.case_id) ||
    typeof e.context !== 'object' ||
    !str(e.event_id) ||
    !str(e.event_type) ||
    !str(e.hash) ||
    !str(e.idempotency_key) ||
    !str(e.occurred_at) ||
    !str(e.outcome) ||
    e.payload === undefined ||
    !str(e.payload_digest) ||
    typeof e.payload_purged !== 'boolean' ||
    !strOrNull(e.payload_salt) ||
    !str(e.prev_hash) ||
    !Number.isSafeInteger(e.schema_version) ||
    !Number.isSafeInteger(e.seq) ||
    !str(e.stream) ||
    !strOrNull(e.subject_id)
  )
    return undefined;
  return `{"action":${q(e.action)},"actor":${actor},"case_id":${q(e.case_id)},"context":${canonicalJson(e.context)},"event_id":${q(e.event_id)},"event_type":${q(e.event_type)},"hash":${q(e.hash)},"idempotency_key":${q(e.idempotency_key)},"occurred_at":${q(e.occurred_at)},"outcome":${q(e.outcome)},"payload":${canonicalJson(e.payload)},"payload_digest":${q(e.payload_digest)},"payload_purged":${e.payload_purged},"payload_salt":${q(e.payload_salt)},"prev_hash":${q(e.prev_hash)},"resource":${resource},"schema_version":${e.schema_version},"seq":${e.seq},"stream":${q(e.stream)},"subject_id":${q(e.subject_id)}}`;
}

/** The manifest line, signed (Ed25519 over the UTF-8 of JCS(manifest)). */
export function manifestLine(manifest: ExportManifest, signer: Signer): string {
  const signature = signBytes(signer, canonicalJson(manifest)).toString('base64');
  return `${canonicalJson({ manifest, signatures: [{ key_id: signer.keyId, signature }], type: 'manifest' })}\n`;
}

const CSV_COLUMNS = [
  'stream',
  'seq',
  'occurred_at',
  'event_type',
  'actor_type',
  'actor_id',
  'action',
  'outcome',
  'resource_type',
  'resource_id',
  'subject_id',
  'case_id',
  'workflow_id',
  'hash',
] as const;

/** A CSV field: always quoted, `"` doubled; text a spreadsheet would run as a formula gets a leading `'`. */
function csvField(v: string | number | null): string {
  let s = v === null ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return `"${s.replace(/"/g, '""')}"`;
}

/** The CSV view's header line. */
export const csvHeader = (): string => `${CSV_COLUMNS.join(',')}\n`;

/** The CSV view of one event (one line, `\n`-terminated). */
export function csvLine(e: BundleEvent): string {
  const wf = (e.context as { workflow_id?: unknown }).workflow_id;
  return `${[
    e.stream,
    e.seq,
    e.occurred_at,
    e.event_type,
    e.actor.type,
    e.actor.id,
    e.action,
    e.outcome,
    e.resource.type,
    e.resource.id,
    e.subject_id ?? null,
    e.case_id ?? null,
    typeof wf === 'string' ? wf : null,
    e.hash,
  ]
    .map(csvField)
    .join(',')}\n`;
}

/** What {@link verifyFilteredExport} found. */
export interface ExportVerdict {
  valid: boolean;
  format: typeof EXPORT_FORMAT;
  eventsChecked: number;
  /** Null when valid; else one of: malformed line, head signature invalid, event changed, payload changed, proof invalid, order changed, manifest signature invalid, manifest mismatch. */
  fault: string | null;
  /** 1-based line of the fault, when it belongs to one. */
  line: number | null;
  detail: string | null;
  manifest: ExportManifest | null;
  warnings: string[];
}

const MANIFEST_KEYS =
  'count,created_at,csv_sha256,events_sha256,exported_by,filter,format,head_sha256,head_version,order';

/**
 * Verifies a filtered export offline against `trustedKeys`: every line canonical, the head
 * signed by a trusted key, each event's hash recomputed from its envelope, prev_hash and payload
 * digest, its payload (when present) matching the digest, its inclusion proof reaching the head's
 * root of its stream, the events in the manifest's order without repeats, and the manifest
 * signed by a trusted key with the count and digests of what is in the file.
 */
export async function verifyFilteredExport(
  file: string,
  trustedKeys: Map<string, PublicKeyInfo>,
): Promise<ExportVerdict> {
  const warnings: string[] = [];
  let eventsChecked = 0;
  let manifest: ExportManifest | null = null;
  const verdict = (fault: string | null, line: number | null, detail: string | null): ExportVerdict => ({
    valid: fault === null,
    format: EXPORT_FORMAT,
    eventsChecked,
    fault,
    line,
    detail,
    manifest,
    warnings,
  });
  const eventsHash = createHash('sha256');
  const csvHash = createHash('sha256').update(csvHeader());
  let head: ParsedHead | null = null;
  let order: 'asc' | 'desc' = 'asc';
  let prevAt: string | null = null;
  const seen = new Set<string>();
  let manifestAt = 0;
  let purged = 0;
  let n = 0;
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) {
    n++;
    if (manifestAt) return verdict('malformed line', n, 'a line after the manifest');
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
      if (typeof o !== 'object' || o === null || Array.isArray(o) || canonicalJson(o) !== line)
        throw new TypeError('not RFC 8785 canonical JSON');
    } catch (err) {
      return verdict('malformed line', n, (err as Error).message);
    }
    if (n === 1) {
      if (
        Object.keys(o).sort().join(',') !== 'format,head,order,type' ||
        o.type !== 'head' ||
        o.format !== EXPORT_FORMAT ||
        (o.order !== 'asc' && o.order !== 'desc')
      )
        return verdict('malformed line', 1, `the first line must be the ${EXPORT_FORMAT} head line`);
      order = o.order;
      try {
        head = parseHead(String(o.head));
      } catch (err) {
        return verdict('malformed line', 1, (err as Error).message);
      }
      const sig = verifyCheckpointSignature(head, trustedKeys);
      if (!sig.ok) return verdict('head signature invalid', 1, sig.reason);
      continue;
    }
    if (o.type === 'manifest') {
      manifestAt = n;
      if (Object.keys(o).sort().join(',') !== 'manifest,signatures,type')
        return verdict('malformed line', n, 'members differ from the manifest line');
      const m = o.manifest as ExportManifest;
      if (typeof m !== 'object' || m === null || Object.keys(m).sort().join(',') !== MANIFEST_KEYS)
        return verdict('malformed line', n, 'manifest members differ from the format');
      manifest = m;
      const sigs = Array.isArray(o.signatures)
        ? (o.signatures as Array<{ key_id?: unknown; signature?: unknown }>)
        : [];
      const body = canonicalJson(m);
      const signed = sigs.some((s) => {
        const key = typeof s.key_id === 'string' ? trustedKeys.get(s.key_id) : undefined;
        return (
          key &&
          typeof s.signature === 'string' &&
          verifyBytes(key.publicKey, body, Buffer.from(s.signature, 'base64'))
        );
      });
      if (!signed)
        return verdict('manifest signature invalid', n, 'no signature by a trusted key over the manifest');
      const h = head as ParsedHead;
      const checks: Array<[boolean, string]> = [
        [m.format === EXPORT_FORMAT, 'format'],
        [m.count === eventsChecked, `count ${m.count} but ${eventsChecked} event lines`],
        [m.events_sha256 === eventsHash.digest('hex'), 'events_sha256 differs from the event lines'],
        [m.csv_sha256 === csvHash.digest('hex'), 'csv_sha256 differs from the CSV view of the events'],
        [
          m.head_version === h.version && m.head_sha256 === headDigest(h.body),
          'the head differs from the head line',
        ],
        [m.order === order, 'order differs from the head line'],
      ];
      const bad = checks.find(([ok]) => !ok);
      if (bad) return verdict('manifest mismatch', n, bad[1]);
      continue;
    }
    if (o.type !== 'event' || Object.keys(o).sort().join(',') !== 'event,proof,tree_size,type')
      return verdict('malformed line', n, 'not an event line');
    const parsed = parseBundleLine(canonicalJson(o.event));
    if (!('event' in parsed)) return verdict('malformed line', n, parsed.error);
    const e = parsed.event;
    const h = head as ParsedHead;
    const entry = h.streams.find((s) => s.stream === e.stream);
    if (!entry || o.tree_size !== entry.treeSize || e.seq > entry.treeSize)
      return verdict('proof invalid', n, `${e.stream}:${e.seq} is not under the head's root of its stream`);
    const { payload_digest, prev_hash, hash, payload, payload_salt, payload_purged: _p, ...env } = e;
    const digest = Buffer.from(payload_digest, 'hex');
    const recomputed = chainHash(
      Buffer.from(prev_hash, 'hex'),
      e.seq,
      canonicalEnvelope(env as CommittedEvent),
      digest,
    );
    if (recomputed.toString('hex') !== hash)
      return verdict('event changed', n, `${e.stream}:${e.seq} does not hash to its hash`);
    if (payload !== null) {
      if (
        payload_salt === null ||
        !payloadDigest(Buffer.from(payload_salt, 'hex'), canonicalJson(payload)).equals(digest)
      )
        return verdict('payload changed', n, `${e.stream}:${e.seq}: the payload does not match its digest`);
    } else purged++;
    const proof = Array.isArray(o.proof) ? (o.proof as unknown[]) : [];
    if (!proof.every((p) => typeof p === 'string' && /^[0-9a-f]{64}$/.test(p)))
      return verdict('malformed line', n, 'proof: not a list of 64 lower-case hex digits');
    const ok = verifyInclusion(
      e.seq - 1,
      entry.treeSize,
      leafHash(Buffer.from(hash, 'hex')),
      (proof as string[]).map((p) => Buffer.from(p, 'hex')),
      entry.rootHash,
    );
    if (!ok)
      return verdict(
        'proof invalid',
        n,
        `${e.stream}:${e.seq}: the inclusion proof does not reach the head's root`,
      );
    // Ordered by occurred_at (ties are broken by stream name in the database's collation: not checked).
    const ref = `${e.stream}:${e.seq}`;
    const at = e.occurred_at;
    if (seen.has(ref) || (prevAt !== null && at !== prevAt && at < prevAt === (order === 'asc')))
      return verdict('order changed', n, `${ref} is out of order or repeated`);
    seen.add(ref);
    prevAt = at;
    eventsChecked++;
    eventsHash.update(`${line}\n`);
    csvHash.update(csvLine(e));
  }
  if (!head) return verdict('malformed line', null, 'the export is empty');
  if (!manifestAt) return verdict('malformed line', null, 'no manifest line (the export was cut short)');
  if (purged) warnings.push(`${purged} payload(s) absent (purged); their digests are still proven`);
  return verdict(null, null, null);
}

export { headDigest };
