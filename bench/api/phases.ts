import { PerformanceObserver, performance } from 'node:perf_hooks';
import pg from 'pg';

/** What a statement was, told by its text. */
type Kind = 'key' | 'search' | 'record' | 'cadence' | 'other';

interface Span {
  kind: Kind;
  start: number;
  end: number;
}

/** One request's time split (ms). `cadence` and `gc` overlap the others (work beside the request). */
export interface Phases {
  total: number;
  /** Arrival to the search statement's start: routing, hooks, zod, pool checkout. */
  toSearch: number;
  search: number;
  /** Key check time past the search's end (0 when the overlapped check finished first). */
  keyExposed: number;
  /** Search (and key) done to the read record's statement start: building the record, queue wait. */
  recordWait: number;
  /** The read record's statement (`ledger_append_events`: lock, chain, insert, commit flush). */
  record: number;
  /** Record committed to the response in hand: serialisation of the page, fastify, inject. */
  send: number;
  /** Checkpoint/head signing statements of the append cadence running during the request. */
  cadence: number;
  /** Garbage collection pauses during the request. */
  gc: number;
}

const PHASES = ['toSearch', 'search', 'keyExposed', 'recordWait', 'record', 'send', 'cadence', 'gc'] as const;

function kindOf(text: string): Kind {
  if (text.includes('FROM api_keys')) return 'key';
  if (text.includes('ledger_append_events')) return 'record';
  if (
    /ledger_checkpoints|ledger_heads|ledger_merkle_tiles|ledger_signing_keys|pg_advisory_xact_lock|^(COMMIT|ROLLBACK)/.test(
      text,
    )
  )
    return 'cadence';
  if (text.includes('p.payload')) return 'search';
  return 'other';
}

const overlap = (spans: Array<{ start: number; end: number }>, from: number, to: number) =>
  spans.reduce((s, x) => s + Math.max(0, Math.min(to, x.end) - Math.max(from, x.start)), 0);

/**
 * Times the phases of in-process API requests run one at a time (the bench's sequential part):
 * every pg statement is timed by its text (one wrapper for every client, so the direct SQL side
 * pays the same), and GC pauses are observed. Bench-only instrumentation.
 */
export class PhaseRecorder {
  private spans: Span[] = [];
  /** Cadence statements kept apart: each request scans only these and its own spans. */
  private cadence: Span[] = [];
  private gcs: Array<{ start: number; end: number }> = [];
  private readonly windows = new WeakMap<Phases, { start: number; end: number }>();
  private readonly restore: () => void;

  constructor() {
    const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
    const original = proto.query;
    const spans = this.spans;
    const cadence = this.cadence;
    proto.query = function (this: unknown, ...args: unknown[]) {
      const first = args[0] as string | { text?: unknown } | undefined;
      const text = typeof first === 'string' ? first : first?.text;
      if (typeof text !== 'string') return original.apply(this, args);
      const span: Span = { kind: kindOf(text), start: performance.now(), end: 0 };
      (span.kind === 'cadence' ? cadence : spans).push(span);
      const done = () => (span.end = performance.now());
      const cb = args.findLastIndex((a) => typeof a === 'function');
      if (cb >= 0) {
        const inner = args[cb] as (...r: unknown[]) => unknown;
        args[cb] = (...r: unknown[]) => {
          done();
          return inner(...r);
        };
        return original.apply(this, args);
      }
      const r = original.apply(this, args);
      if (r && typeof (r as Promise<unknown>).then === 'function') (r as Promise<unknown>).then(done, done);
      else done();
      return r;
    };
    const gc = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) this.gcs.push({ start: e.startTime, end: e.startTime + e.duration });
    });
    gc.observe({ entryTypes: ['gc'] });
    this.restore = () => {
      proto.query = original;
      gc.disconnect();
    };
  }

  /** Forgets what was recorded (between filters: keeps the span list short). */
  clear(): void {
    this.spans.length = 0;
    this.cadence.length = 0;
    this.gcs.length = 0;
  }

  /** Runs one request and splits its time (phases it did not have are 0). */
  async measure(fn: () => Promise<unknown>): Promise<Phases> {
    const from = this.spans.length;
    const start = performance.now();
    await fn();
    const end = performance.now();
    const mine: Span[] = [];
    for (let i = from; i < this.spans.length; i++) {
      const s = this.spans[i] as Span;
      if (s.start >= start && s.end > 0) mine.push(s);
    }
    const one = (k: Kind) => mine.find((s) => s.kind === k);
    const search = one('search');
    const key = one('key');
    const record = one('record');
    const ready = Math.max(search?.end ?? start, key?.end ?? start);
    const phases: Phases = {
      total: end - start,
      toSearch: search ? search.start - start : 0,
      search: search ? search.end - search.start : 0,
      keyExposed: key && search ? Math.max(0, key.end - search.end) : 0,
      recordWait: record ? record.start - ready : 0,
      record: record ? record.end - record.start : 0,
      send: record ? end - record.end : 0,
      cadence: overlap(
        this.cadence.filter((s) => s.end > 0),
        start,
        end,
      ),
      gc: 0, // GC entries arrive after the fact: settleGc
    };
    this.windows.set(phases, { start, end });
    return phases;
  }

  /** Fills each measured request's GC time (observer entries are delivered after the fact). */
  async settleGc(all: Phases[]): Promise<void> {
    await new Promise((r) => setImmediate(r));
    for (const p of all) {
      const w = this.windows.get(p);
      if (w) p.gc = overlap(this.gcs, w.start, w.end);
    }
  }

  close(): void {
    this.restore();
  }
}

const q = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/**
 * Where the slow requests' time goes: per phase, the median over all requests and the mean over
 * the slowest 1 %; and which phase carries most of each slow request's excess over the medians.
 */
export function tailReport(byFilter: Map<string, Phases[]>): string {
  const lines: string[] = [];
  const blame = new Map<string, number>();
  const excessSum = new Map<string, number>();
  let tails = 0;
  const header = `${'filter'.padEnd(14)}${PHASES.map((p) => p.padStart(11)).join('')}  (p50 -> mean of slowest 1 %, ms)`;
  lines.push(header);
  for (const [name, all] of byFilter) {
    const sorted = [...all].sort((a, b) => a.total - b.total);
    const cut = Math.max(1, Math.ceil(sorted.length / 100));
    const slow = sorted.slice(-cut);
    const med = Object.fromEntries(
      PHASES.map((p) => [
        p,
        q(
          all.map((x) => x[p]).sort((a, b) => a - b),
          50,
        ),
      ]),
    ) as Record<(typeof PHASES)[number], number>;
    const cells = PHASES.map((p) => {
      const m = slow.reduce((s, x) => s + x[p], 0) / slow.length;
      return `${med[p].toFixed(1)}>${m.toFixed(1)}`.padStart(11);
    });
    lines.push(`${name.padEnd(14)}${cells.join('')}`);
    for (const x of slow) {
      tails++;
      let worst: string = 'other';
      let most = 0;
      for (const p of PHASES) {
        const e = x[p] - med[p];
        excessSum.set(p, (excessSum.get(p) ?? 0) + Math.max(0, e));
        if (e > most) {
          most = e;
          worst = p;
        }
      }
      blame.set(worst, (blame.get(worst) ?? 0) + 1);
    }
  }
  lines.push(
    `slowest 1 % (${tails} requests), phase with the largest excess over its median: ${[...blame]
      .sort((a, b) => b[1] - a[1])
      .map(([p, n]) => `${p} ${n}`)
      .join(', ')}; summed excess ms: ${[...excessSum]
      .sort((a, b) => b[1] - a[1])
      .map(([p, s]) => `${p} ${s.toFixed(0)}`)
      .join(', ')}`,
  );
  return lines.join('\n');
}
