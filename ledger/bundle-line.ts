import { STREAM_NAME, type CommittedEvent } from '../core/audit-event';
import { canonicalJson, checkIJson } from '../core/canonical-json';
import { LINE_MEMBERS } from './bundle-scan';

/** One line of `events.jsonl`: the committed envelope plus chain and payload fields (hashes hex). */
export interface BundleEvent extends CommittedEvent {
  payload_digest: string;
  prev_hash: string;
  hash: string;
  /** The payload, or null when purged. */
  payload: unknown;
  payload_salt: string | null;
  payload_purged: boolean;
}

const EVENT_MEMBERS = LINE_MEMBERS.join(',');

/** Lower-case hex of a hash and of a salt. */
export const HEX64 = /^[0-9a-f]{64}$/;
export const HEX32 = /^[0-9a-f]{32}$/;

/**
 * Reads one bundle line strictly: JSON that is I-JSON and already RFC 8785 canonical (so a
 * duplicated member or any re-encoding is caught), with exactly the event members and
 * well-formed chain fields. Returns the event, or why the line is malformed (and its stream when known).
 */
export function parseBundleLine(
  line: string,
): { event: BundleEvent } | { error: string; stream: string | null } {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return { error: 'not JSON', stream: null };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    return { error: 'not a JSON object', stream: null };
  const o = v as Record<string, unknown>;
  const stream = typeof o.stream === 'string' && STREAM_NAME.test(o.stream) ? o.stream : null;
  const bad = (error: string) => ({ error, stream });
  try {
    checkIJson(v);
  } catch (err) {
    return bad((err as Error).message);
  }
  let canonical: string;
  try {
    canonical = canonicalJson(v);
  } catch {
    return bad('cannot be canonicalised');
  }
  if (canonical !== line) return bad('not RFC 8785 canonical JSON (re-encoded or duplicate members)');
  if (Object.keys(o).sort().join(',') !== EVENT_MEMBERS) return bad('members differ from the bundle format');
  return checkFields(o) ?? { event: o as unknown as BundleEvent };
}

/** The field rules after the canonical-form check; null when they hold. */
function checkFields(o: Record<string, unknown>): { error: string; stream: string | null } | null {
  const stream = typeof o.stream === 'string' && STREAM_NAME.test(o.stream) ? o.stream : null;
  const bad = (error: string) => ({ error, stream });
  if (stream === null) return bad('stream: invalid');
  if (typeof o.seq !== 'number' || !Number.isSafeInteger(o.seq) || o.seq < 1)
    return bad('seq: not a positive integer');
  for (const f of ['payload_digest', 'prev_hash', 'hash'])
    if (typeof o[f] !== 'string' || !HEX64.test(o[f] as string))
      return bad(`${f}: not 64 lower-case hex digits`);
  if (o.payload_salt !== null && (typeof o.payload_salt !== 'string' || !HEX32.test(o.payload_salt)))
    return bad('payload_salt: not 32 lower-case hex digits or null');
  if (o.payload !== null && (typeof o.payload !== 'object' || Array.isArray(o.payload)))
    return bad('payload: not an object or null');
  if (typeof o.payload_purged !== 'boolean') return bad('payload_purged: not a boolean');
  return null;
}
