import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { closeDatabase, createDatabase } from '../db/client';
import { runMigrations } from '../db/migrate';
import { appRoleUrl } from '../db/roles';
import { MAX_BATCH } from '../ledger/append';
import { createLedger } from '../ledger/ledger';
import { proveInclusion, verifyProofDoc } from '../ledger/proofs';
import { verifyLedger } from '../ledger/verify';
import { loadConfig } from '../runtime/config';
import { benchEvent } from './fixtures/events';
import { ensureLargeLedger, type LargeLedger } from './fixtures/large-ledger';
import { fmt, rate } from './postgres';
import type { BenchOptions } from './run';

/**
 * Does the ledger stay flat as it grows? On two cached fixture ledgers (bench/fixtures/large-ledger.ts)
 * of `--size` events and a tenth of that, on one PostgreSQL:
 * (g1) batched append into the big ledger's stream vs into an empty ledger (interleaved batches);
 * (g2) inclusion proof time, big vs small;
 * (g3) incremental verification (`verifyLedger` from the first new seq) after 1,000 new events, big vs small.
 * The first run builds the fixtures through the real append path (minutes at 1M); later runs reuse them.
 */
const DEFAULT_SIZE = 1_000_000;
const SMOKE_SIZE = 20_000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)] as number;

export async function run(opts: BenchOptions): Promise<void> {
  const bigSize = opts.size ?? (opts.smoke ? SMOKE_SIZE : DEFAULT_SIZE);
  const smallSize = Math.max(2_000, Math.floor(bigSize / 10));
  const log = (l: string) => console.log(`  ${l}`);
  const small = await ensureLargeLedger({ size: smallSize, log });
  let big: LargeLedger | null = null;
  try {
    big = await ensureLargeLedger({ size: bigSize, log });
    console.log(
      `fixtures: ${fmt(small.size)} and ${fmt(big.size)} events in stream ${big.stream}${small.built || big.built ? ' (built in this run)' : ' (cached)'}`,
    );
    const results: Record<string, unknown> = { small: small.size, big: big.size };
    results.append = await appendFlat(big, opts.smoke ? 3 : 20);
    results.proof = await proofs(small, big, opts.smoke ? 20 : 100);
    results.incremental = await incremental(small, big, opts.smoke ? 1 : 3);
    console.log(JSON.stringify({ suite: 'ledger-growth', ...results }));
  } finally {
    await big?.close();
    await small.close();
  }
}

/**
 * (g1) interleaved batches: empty ledger, then the big one, `batches` times. Each side's events
 * continue its own numbering (the fixture holds `benchEvent(seq)` at each seq, as (g3) appends
 * too): new events bring new resource and workflow ids, as an application's would, instead of
 * repeating the ids of the fixture's first events, which scattered every batch over the whole key
 * range of those indexes. Event ids stay random UUIDs (subjects and cases cycle), so the
 * random-key index cost is still measured.
 */
async function appendFlat(big: LargeLedger, batches: number) {
  const config = loadConfig();
  const name = `lf_growth_empty_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: big.adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const ownerUrl = new URL(big.adminUrl);
  ownerUrl.pathname = `/${name}`;
  try {
    await runMigrations(config, ownerUrl.toString());
    const writer = createDatabase(appRoleUrl(config, ownerUrl.toString(), 'ledgerflow_writer'), { max: 40 });
    const empty = createLedger(writer, { signer: big.signer });
    let emptyMs = 0;
    let bigMs = 0;
    const tag = randomBytes(4).toString('hex');
    try {
      // first-use costs (connections, plans) paid outside the timed batches, on both sides
      await empty.appendMany([{ event: benchEvent(0), idempotencyKey: `warm-${tag}` }], {
        stream: big.stream,
      });
      const bigNext =
        (
          await big.ledger.appendMany([{ event: benchEvent(0), idempotencyKey: `warm-${tag}` }], {
            stream: big.stream,
          })
        )[0]!.seq + 1;
      for (let k = 0; k < batches; k++) {
        const items = (prefix: string, base: number) =>
          Array.from({ length: MAX_BATCH }, (_, j) => ({
            event: benchEvent(base + k * MAX_BATCH + j),
            idempotencyKey: `${prefix}-${tag}-${k}-${j}`,
          }));
        const e = items('empty', 1);
        const b = items('growth', bigNext);
        let t0 = performance.now();
        await empty.appendMany(e, { stream: big.stream });
        emptyMs += performance.now() - t0;
        t0 = performance.now();
        await big.ledger.appendMany(b, { stream: big.stream });
        bigMs += performance.now() - t0;
      }
    } finally {
      await closeDatabase(writer);
    }
    const n = batches * MAX_BATCH;
    const r = { empty: rate(n, emptyMs), big: rate(n, bigMs), ratio: emptyMs / bigMs, events: n };
    console.log(
      `(g1) batched append into ${fmt(big.size)} events: ${fmt(r.big)} ev/s vs into an empty ledger ${fmt(r.empty)} ev/s -> ${r.ratio.toFixed(2)}x (target >= 0.8; ${fmt(n)} events each, interleaved)`,
    );
    return r;
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
}

async function proofTimes(f: LargeLedger, samples: number): Promise<number[]> {
  const cp = await f.reader.$client.query<{ n: string }>(
    'SELECT max(tree_size) AS n FROM ledger_checkpoints WHERE stream = $1',
    [f.stream],
  );
  const size = Number(cp.rows[0]?.n ?? 0);
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const seq = 1 + ((i * 7919 * 104729) % size);
    const t0 = performance.now();
    const doc = await proveInclusion(f.reader, { stream: f.stream, seq });
    times.push(performance.now() - t0);
    if (!verifyProofDoc(doc).valid) throw new Error(`proof for seq ${seq} does not verify`);
  }
  return times;
}

/** (g2) inclusion proofs at the same sampled positions, alternating between the two sizes. */
async function proofs(small: LargeLedger, big: LargeLedger, samples: number) {
  await proofTimes(small, 5);
  await proofTimes(big, 5);
  const s: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < 5; i++) {
    s.push(...(await proofTimes(small, samples / 5)));
    b.push(...(await proofTimes(big, samples / 5)));
  }
  const r = {
    smallMedianMs: median(s),
    smallP95Ms: p95(s),
    bigMedianMs: median(b),
    bigP95Ms: p95(b),
    ratio: median(b) / median(s),
  };
  console.log(
    `(g2) inclusion proof: ${fmt(big.size)} events median ${r.bigMedianMs.toFixed(2)} ms (p95 ${r.bigP95Ms.toFixed(2)}) vs ${fmt(small.size)} events ${r.smallMedianMs.toFixed(2)} ms (p95 ${r.smallP95Ms.toFixed(2)}) -> ${r.ratio.toFixed(2)}x (target <= 2)`,
  );
  return r;
}

/** Appends 1,000 events to `f` and times verifying just them (with the pinned fixture key). */
async function incrementalOnce(f: LargeLedger): Promise<number> {
  const head = await f.reader.$client.query<{ n: string }>(
    'SELECT coalesce(max(seq), 0) AS n FROM ledger_events WHERE stream = $1',
    [f.stream],
  );
  const from = Number(head.rows[0]?.n ?? 0) + 1;
  const tag = randomBytes(4).toString('hex');
  await f.ledger.appendMany(
    Array.from({ length: 1000 }, (_, j) => ({
      event: benchEvent(from + j),
      idempotencyKey: `inc-${tag}-${j}`,
    })),
    { stream: f.stream },
  );
  const t0 = performance.now();
  const v = await verifyLedger(f.reader, { stream: f.stream, fromSeq: from, trustedKeys: f.trustedKeys });
  const ms = performance.now() - t0;
  if (!v.valid || v.eventsChecked !== 1000)
    throw new Error(
      `incremental verification failed: ${v.fault} at ${v.firstBadSeq} (${v.eventsChecked} checked)`,
    );
  return ms;
}

/** (g3) incremental verification after 1,000 new events, alternating sizes, `reps` times each. */
async function incremental(small: LargeLedger, big: LargeLedger, reps: number) {
  const s: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < reps; i++) {
    s.push(await incrementalOnce(small));
    b.push(await incrementalOnce(big));
  }
  const r = { smallMs: median(s), bigMs: median(b), ratio: median(b) / median(s) };
  console.log(
    `(g3) incremental verification of 1,000 new events: ${fmt(big.size)}-event ledger ${r.bigMs.toFixed(0)} ms vs ${fmt(small.size)}-event ledger ${r.smallMs.toFixed(0)} ms -> ${r.ratio.toFixed(2)}x (target <= 2; median of ${reps})`,
  );
  return r;
}
