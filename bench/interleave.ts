import { readFileSync } from 'node:fs';

/**
 * Side-by-side batch timing: each side deletes in batches; the sides take turns batch by batch
 * (ABBA order: the side that went first goes last in the next round), so load from other processes,
 * checkpoints and autovacuum fall on every side alike. A side is done when its step says so.
 */
export interface BatchSide {
  name: string;
  /** Runs one batch: rows it deleted and whether the side is finished. */
  step(): Promise<{ rows: number; done: boolean }>;
  /** CPU milliseconds used so far by the server process(es) serving this side, if readable. */
  cpuMs?: () => Promise<number | undefined>;
}

/** What one side did over the run. */
export interface SideResult {
  name: string;
  rows: number;
  batches: number;
  ms: number;
  /** Milliseconds of each batch, in order. */
  batchMs: number[];
  /** Server CPU milliseconds over all batches (undefined when not readable). */
  cpuMs?: number;
}

/** Runs the sides in alternating turns until all are done; `afterStep` sees every batch. */
export async function interleave(
  sides: BatchSide[],
  afterStep?: (side: string) => void,
): Promise<Record<string, SideResult>> {
  const out: Record<string, SideResult> = {};
  const active = new Set(sides.map((s) => s.name));
  for (const s of sides) out[s.name] = { name: s.name, rows: 0, batches: 0, ms: 0, batchMs: [] };
  for (let round = 0; active.size > 0; round++) {
    const order = round % 2 === 0 ? sides : [...sides].reverse();
    for (const side of order) {
      if (!active.has(side.name)) continue;
      const cpu0 = await side.cpuMs?.();
      const t0 = performance.now();
      const r = await side.step();
      const ms = performance.now() - t0;
      const cpu1 = await side.cpuMs?.();
      const acc = out[side.name]!;
      acc.cpuMs =
        cpu0 === undefined || cpu1 === undefined || (acc.batches > 0 && acc.cpuMs === undefined)
          ? undefined
          : (acc.cpuMs ?? 0) + cpu1 - cpu0;
      acc.rows += r.rows;
      acc.batches += 1;
      acc.ms += ms;
      acc.batchMs.push(ms);
      afterStep?.(side.name);
      if (r.done) active.delete(side.name);
    }
  }
  return out;
}

/**
 * CPU milliseconds the server backends `pids` have used so far, from /proc/<pid>/schedstat
 * (Linux, server on this host); undefined when any of them cannot be read.
 */
export function backendCpuMs(pids: number[]): number | undefined {
  if (pids.length === 0) return undefined;
  let ns = 0;
  for (const pid of pids) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      return undefined;
    }
  }
  return ns / 1e6;
}

/**
 * Ratio of `base` time to `side` time (higher = `side` closer to `base`), over the whole run and
 * over its first and second half of batches (the spread shows how stable the figure is).
 */
export function ratios(
  base: SideResult,
  side: SideResult,
): { all: number; firstHalf: number; secondHalf: number } {
  const r2 = (n: number) => Number(n.toFixed(2));
  if (base.batchMs.length < 2 || side.batchMs.length < 2) {
    const all = r2(base.ms / side.ms);
    return { all, firstHalf: all, secondHalf: all };
  }
  const half = (r: SideResult, first: boolean) => {
    const mid = Math.floor(r.batchMs.length / 2);
    return (first ? r.batchMs.slice(0, mid) : r.batchMs.slice(mid)).reduce((a, b) => a + b, 0);
  };
  return {
    all: r2(base.ms / side.ms),
    firstHalf: r2(half(base, true) / half(side, true)),
    secondHalf: r2(half(base, false) / half(side, false)),
  };
}

/** Ratio of `base` server CPU to `side` server CPU, when both were read. */
export function cpuRatio(base: SideResult, side: SideResult): number | undefined {
  if (base.cpuMs === undefined || side.cpuMs === undefined) return undefined;
  return Number((base.cpuMs / side.cpuMs).toFixed(2));
}
