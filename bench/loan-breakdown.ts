import { readFileSync, readdirSync } from 'node:fs';
import pg from 'pg';

/** What one measured phase cost, summed over the phase (divide by the applications for per-application figures). */
export interface PhaseCost {
  statements: number;
  /** Explicit COMMITs, and writes outside a transaction. */
  commits: number;
  /** Sum of every statement's latency (send → result), ms; concurrent statements overlap. */
  pgMs: number;
  byText: Map<string, number>;
  /** Summed latency per statement text, ms. */
  msByText: Map<string, number>;
  /** Temporal RPCs the worker's own client sends (activities: list, describe, history), count and summed ms. */
  temporalCalls: number;
  temporalMs: number;
  /** Temporal RPCs by method: count and summed ms. */
  rpcByName: Map<string, { n: number; ms: number }>;
  /** HTTP calls to the providers, count and summed ms. */
  httpCalls: number;
  httpMs: number;
  /** CPU ms of this process (worker and bench client) and of its child processes by name. */
  cpuMs: Record<string, number>;
}

type Settle = (ms: number) => void;

/** Calls `settle` with the elapsed ms once a promise- or callback-style call completes. */
function timed(args: unknown[], call: (args: unknown[]) => unknown, settle: Settle): unknown {
  const t0 = performance.now();
  const last = args.length - 1;
  const cb = args[last];
  if (typeof cb === 'function') {
    const copy = [...args];
    copy[last] = (...r: unknown[]) => {
      settle(performance.now() - t0);
      return (cb as (...a: unknown[]) => unknown)(...r);
    };
    return call(copy);
  }
  const out = call(args);
  if (out && typeof (out as Promise<unknown>).then === 'function')
    (out as Promise<unknown>).then(
      () => settle(performance.now() - t0),
      () => settle(performance.now() - t0),
    );
  return out;
}

/** CPU ticks (utime + stime) of every live descendant of this process, by command name. */
function childCpuMs(): Record<string, number> {
  const hz = 100;
  const procs: Array<{ pid: number; ppid: number; comm: string; ticks: number }> = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const f = stat.slice(close + 2).split(' ');
      procs.push({ pid: Number(d), ppid: Number(f[1]), comm, ticks: Number(f[11]) + Number(f[12]) });
    } catch {
      // the process exited while we read /proc
    }
  }
  const mine = new Set([process.pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of procs)
      if (!mine.has(p.pid) && mine.has(p.ppid)) {
        mine.add(p.pid);
        grew = true;
      }
  }
  const out: Record<string, number> = {};
  for (const p of procs) {
    if (p.pid === process.pid || !mine.has(p.pid)) continue;
    const name = p.comm.startsWith('postgres')
      ? 'postgres'
      : p.comm.startsWith('temporal')
        ? 'temporal'
        : p.comm;
    out[name] = (out[name] ?? 0) + (p.ticks * 1000) / hz;
  }
  return out;
}

function cpuNow(): Record<string, number> {
  const u = process.cpuUsage();
  return { ...childCpuMs(), self: (u.user + u.system) / 1000 };
}

function emptyCost(): PhaseCost {
  return {
    statements: 0,
    commits: 0,
    pgMs: 0,
    byText: new Map(),
    msByText: new Map(),
    temporalCalls: 0,
    temporalMs: 0,
    rpcByName: new Map(),
    httpCalls: 0,
    httpMs: 0,
    cpuMs: {},
  };
}

/**
 * Meters one phase: PostgreSQL statements (every pg client in this process), the Temporal RPCs of
 * `workerService` (the worker connection's WorkflowService: what activities send), provider HTTP
 * (global fetch) and CPU of this process and its children (PostgreSQL, Temporal dev server).
 */
export function meter(workerService: object): { stop(): PhaseCost } {
  const cost = emptyCost();
  const cpu0 = cpuNow();
  const proto = pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown };
  const originalQuery = proto.query;
  const inTx = new WeakSet<object>();
  // Statement texts are few: normalise each once, so metering costs little CPU.
  const normalised = new Map<string, string>();
  proto.query = function (this: object, ...args: unknown[]) {
    const first = args[0];
    const raw = typeof first === 'string' ? first : ((first as { text?: string })?.text ?? '');
    let full = normalised.get(raw);
    if (full === undefined) normalised.set(raw, (full = raw.replace(/\s+/g, ' ').trim()));
    const head = full.slice(0, 12).toUpperCase();
    cost.byText.set(full.slice(0, 90), (cost.byText.get(full.slice(0, 90)) ?? 0) + 1);
    cost.statements++;
    if (head.startsWith('BEGIN')) inTx.add(this);
    else if (head.startsWith('COMMIT')) {
      inTx.delete(this);
      cost.commits++;
    } else if (head.startsWith('ROLLBACK')) inTx.delete(this);
    else if (!inTx.has(this) && /^(INSERT|UPDATE|DELETE|WITH|SELECT [A-Z_]+\()/.test(head)) cost.commits++;
    return timed(
      args,
      (a) => originalQuery.apply(this, a),
      (ms) => {
        cost.pgMs += ms;
        cost.msByText.set(full.slice(0, 90), (cost.msByText.get(full.slice(0, 90)) ?? 0) + ms);
      },
    );
  };
  const originalFetch = globalThis.fetch;
  globalThis.fetch = (...args: Parameters<typeof fetch>) => {
    cost.httpCalls++;
    return timed(
      args,
      (a) => originalFetch(...(a as Parameters<typeof fetch>)),
      (ms) => (cost.httpMs += ms),
    ) as ReturnType<typeof fetch>;
  };
  // protobufjs puts each RPC method on the service object itself.
  const service = workerService as Record<string, unknown>;
  const originals = new Map<string, unknown>();
  for (const [name, fn] of Object.entries(service)) {
    if (typeof fn !== 'function' || name === 'rpcImpl') continue;
    originals.set(name, fn);
    service[name] = (...args: unknown[]) => {
      cost.temporalCalls++;
      return timed(
        args,
        (a) => (fn as (...x: unknown[]) => unknown).apply(service, a),
        (ms) => {
          cost.temporalMs += ms;
          const r = cost.rpcByName.get(name) ?? { n: 0, ms: 0 };
          cost.rpcByName.set(name, { n: r.n + 1, ms: r.ms + ms });
        },
      );
    };
  }
  return {
    stop() {
      proto.query = originalQuery;
      globalThis.fetch = originalFetch;
      for (const [name, fn] of originals) service[name] = fn;
      const cpu1 = cpuNow();
      for (const [k, v] of Object.entries(cpu1)) cost.cpuMs[k] = v - (cpu0[k] ?? 0);
      return cost;
    },
  };
}

/** One row per phase: where an application's time goes, per application. */
export function breakdownRows(
  phases: Array<{ variant: string; n: number; wallMs: number; cost: PhaseCost }>,
) {
  return phases.map(({ variant, n, wallMs, cost }) => {
    const per = (x: number) => Number((x / n).toFixed(1));
    const cpu = cost.cpuMs;
    const cpuTotal = Object.values(cpu).reduce((a, b) => a + b, 0);
    return {
      variant,
      'wall ms/app': per(wallMs),
      'CPU ms/app: this process': per(cpu.self ?? 0),
      'child node': per(cpu.node ?? 0),
      temporal: per(cpu.temporal ?? 0),
      postgres: per(cpu.postgres ?? 0),
      'all CPU': per(cpuTotal),
      'PG stmts': per(cost.statements),
      flushes: per(cost.commits),
      'PG ms (summed)': per(cost.pgMs),
      'Temporal RPCs (activities)': per(cost.temporalCalls),
      'RPC ms (summed)': per(cost.temporalMs),
      'HTTP calls': per(cost.httpCalls),
      'HTTP ms (summed)': per(cost.httpMs),
    };
  });
}

/** The costs of several metered blocks of one variant, added up. */
export function sumCosts(costs: PhaseCost[]): PhaseCost {
  const addMap = <V>(into: Map<string, V>, from: Map<string, V>, add: (a: V, b: V) => V) => {
    for (const [k, v] of from) into.set(k, into.has(k) ? add(into.get(k) as V, v) : v);
  };
  const out = emptyCost();
  for (const c of costs) {
    out.statements += c.statements;
    out.commits += c.commits;
    out.pgMs += c.pgMs;
    out.temporalCalls += c.temporalCalls;
    out.temporalMs += c.temporalMs;
    out.httpCalls += c.httpCalls;
    out.httpMs += c.httpMs;
    addMap(out.byText, c.byText, (a, b) => a + b);
    addMap(out.msByText, c.msByText, (a, b) => a + b);
    addMap(out.rpcByName, c.rpcByName, (a, b) => ({ n: a.n + b.n, ms: a.ms + b.ms }));
    for (const [k, v] of Object.entries(c.cpuMs)) out.cpuMs[k] = (out.cpuMs[k] ?? 0) + v;
  }
  return out;
}
