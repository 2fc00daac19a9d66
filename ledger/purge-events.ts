import type { AuditEventInput } from '../core/audit-event';

/**
 * Chained purge events: the proof a verifier needs to accept a missing payload. Each event lists,
 * in `resource.id` (hash-committed, outside `payload`), the sorted seq ranges per stream whose
 * payloads one purge batch removed: `<stream>:<a>-<b>,<c>-<d>;<stream>:<a>-<b>` (streams in name
 * order, ranges ascending and disjoint, `a <= b`). See docs/ledger-format.md, "Purge events".
 */

/** The stream purge events are chained in (one stream, so a verifier reads them in one place). */
export const PURGE_EVENT_STREAM = 'compliance';
export const PURGE_EVENT_TYPE = 'ledger.payloads_purged';
export const PURGE_RESOURCE_TYPE = 'ledger_payload_ranges';
/** `resource.id` is at most 300 characters; larger batches are split into several events. */
const MAX_RANGES_TEXT = 300;

export type SeqRanges = Map<string, Array<[number, number]>>;

/** Sorted, merged seq ranges per stream from (stream, seq) pairs or (stream, seq..seqTo) ranges. */
export function toRanges(keys: Array<{ stream: string; seq: number; seqTo?: number }>): SeqRanges {
  const sorted = [...keys].sort((a, b) =>
    a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : a.seq - b.seq,
  );
  const out: SeqRanges = new Map();
  for (const { stream, seq, seqTo } of sorted) {
    const end = Math.max(seq, seqTo ?? seq);
    const list = out.get(stream) ?? [];
    out.set(stream, list);
    const last = list.at(-1);
    if (last && seq <= last[1] + 1) last[1] = Math.max(last[1], end);
    else list.push([seq, end]);
  }
  return out;
}

/** The `resource.id` texts covering `ranges`, each within the size limit. */
export function formatRanges(ranges: SeqRanges): string[] {
  const parts: string[] = [];
  let cur = '';
  let curStream: string | null = null;
  for (const [stream, list] of ranges) {
    for (const [a, b] of list) {
      const r = `${a}-${b}`;
      const add = curStream === stream ? `,${r}` : `${cur ? ';' : ''}${stream}:${r}`;
      if (cur && cur.length + add.length > MAX_RANGES_TEXT) {
        parts.push(cur);
        cur = `${stream}:${r}`;
      } else cur += add;
      curStream = stream;
    }
  }
  if (cur) parts.push(cur);
  return parts;
}

const STREAM_PART = /^([a-z0-9][a-z0-9_.-]{0,62}):(.+)$/;
const RANGE = /^([1-9][0-9]{0,15})-([1-9][0-9]{0,15})$/;

/** Parses a `resource.id` of a purge event; null when it is not in the format above. */
export function parseRanges(text: string): SeqRanges | null {
  if (text.length > MAX_RANGES_TEXT) return null;
  const out: SeqRanges = new Map();
  let prevStream = '';
  for (const part of text.split(';')) {
    const m = STREAM_PART.exec(part);
    if (!m || m[1]! <= prevStream) return null;
    prevStream = m[1]!;
    const list: Array<[number, number]> = [];
    for (const r of m[2]!.split(',')) {
      const rm = RANGE.exec(r);
      if (!rm) return null;
      const a = Number(rm[1]);
      const b = Number(rm[2]);
      if (!Number.isSafeInteger(b) || a > b || (list.length > 0 && a <= list.at(-1)![1])) return null;
      list.push([a, b]);
    }
    out.set(m[1]!, list);
  }
  return out;
}

/** The purge events of one batch (one per `resource.id` part), with their idempotency keys. */
export function purgeEvents(
  batch: { purgeRunId: string; dataClass: string; batchNo: number },
  ranges: SeqRanges,
): Array<{ event: AuditEventInput; idempotencyKey: string }> {
  return formatRanges(ranges).map((id, part) => ({
    event: {
      event_type: PURGE_EVENT_TYPE,
      actor: { type: 'system', id: 'retention-purge' },
      resource: { type: PURGE_RESOURCE_TYPE, id },
      action: 'purge_payloads',
      outcome: 'success',
      payload: { purge_run_id: batch.purgeRunId, data_class: batch.dataClass, batch_no: batch.batchNo, part },
    },
    idempotencyKey: `payload-purge:${batch.dataClass}:${batch.batchNo}:${part}:${batch.purgeRunId}`,
  }));
}

/** Which (stream, seq) payloads the accepted purge events cover. */
export class PurgeCoverage {
  private readonly ranges = new Map<string, Array<[number, number]>>();
  private sorted = true;

  /** Adds a purge event's `resource.id`; returns false (and adds nothing) when it does not parse. */
  add(resourceId: string): boolean {
    const parsed = parseRanges(resourceId);
    if (!parsed) return false;
    for (const [stream, list] of parsed) {
      const all = this.ranges.get(stream) ?? [];
      all.push(...list);
      this.ranges.set(stream, all);
    }
    this.sorted = false;
    return true;
  }

  /** True when an accepted range covers `seq` of `stream` (binary search over merged ranges). */
  covers(stream: string, seq: number): boolean {
    if (!this.sorted) this.merge();
    const list = this.ranges.get(stream) ?? [];
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const [a, b] = list[mid] as [number, number];
      if (seq < a) hi = mid - 1;
      else if (seq > b) lo = mid + 1;
      else return true;
    }
    return false;
  }

  private merge(): void {
    for (const [stream, list] of this.ranges) {
      list.sort((x, y) => x[0] - y[0]);
      const merged: Array<[number, number]> = [];
      for (const [a, b] of list) {
        const last = merged.at(-1);
        if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
        else merged.push([a, b]);
      }
      this.ranges.set(stream, merged);
    }
    this.sorted = true;
  }
}
