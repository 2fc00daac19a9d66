import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBundle } from '../ledger/bundle';
import { readTrustedCheckpointFile, readTrustedHeadFile } from '../ledger/keys';
import { createTestDatabase, type TestDatabase } from './helpers';
import { buildHonestBundle, type HonestBundle } from './support/honest-bundle';
import { materialise, tamperCases, type Expectation, type TamperCase } from './support/tamper-cases';

const run = promisify(execFile);
const PY_VERIFIER = path.resolve('verifiers/python/ledgerflow_verify.py');
const PY_DEPS = path.resolve('.tools/pyverifier');
const pyEnv = {
  ...process.env,
  PYTHONPATH: existsSync(PY_DEPS)
    ? [PY_DEPS, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter)
    : (process.env.PYTHONPATH ?? ''),
};

let t: TestDatabase;
let root: string;
let honest: HonestBundle;

beforeAll(async () => {
  t = await createTestDatabase();
  root = mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-tamper-'));
  honest = await buildHonestBundle(t, root);
});
afterAll(async () => {
  await t.drop();
  rmSync(root, { recursive: true, force: true });
});

type Verdict = Expectation & { exit: number };

/** The TypeScript verifier, called as `verify-bundle` calls it. */
async function tsVerdict(dir: string, anchored: boolean): Promise<Verdict> {
  const r = await verifyBundle(dir, {
    trustedKeys: honest.trustedKeys,
    trustedCheckpoint: anchored ? readTrustedCheckpointFile(honest.headFile) : null,
    trustedHead: anchored ? readTrustedHeadFile(honest.headFile) : null,
  });
  return {
    valid: r.valid,
    fault: r.fault ?? null,
    stream: r.valid ? null : r.stream,
    firstBadSeq: r.firstBadSeq ?? null,
    exit: r.valid ? 0 : 1,
  };
}

/** The independent Python verifier (verifiers/python), run as a child process. */
async function pyVerdict(dir: string, anchored: boolean): Promise<Verdict> {
  const args = [PY_VERIFIER, dir, '--trusted-keys', honest.keysFile, '--json'];
  if (anchored) args.push('--trusted-checkpoint', honest.headFile);
  let stdout: string;
  let exit = 0;
  try {
    ({ stdout } = await run('python3', args, { env: pyEnv }));
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    exit = e.code ?? -1;
    stdout = e.stdout ?? '';
    if (exit !== 1) throw new Error(`python verifier exited ${exit}: ${e.stderr}`, { cause: err });
  }
  const r = JSON.parse(stdout) as Expectation;
  return { valid: r.valid, fault: r.fault, stream: r.stream, firstBadSeq: r.firstBadSeq, exit };
}

describe('tamper matrix: both verifiers agree with the spec on every case', () => {
  const cases = tamperCases();
  it('has at least 30 tamper kinds', () => {
    expect(cases.filter((c) => !c.expect.valid).length).toBeGreaterThanOrEqual(30);
  });
  const check = async (name: string, n: number) => {
    const c = cases[n] as TamperCase;
    const dir = materialise(honest.dir, root, n, c);
    const [ts, py] = await Promise.all([tsVerdict(dir, c.anchored), pyVerdict(dir, c.anchored)]);
    const want = { ...c.expect, exit: c.expect.valid ? 0 : 1 };
    expect({ case: name, ts, py }).toEqual({ case: name, ts: want, py: want });
  };
  const ready = cases.flatMap((c, n) => (c.pending ? [] : [[c.name, n] as const]));
  const pending = cases.flatMap((c, n) => (c.pending ? [[c.name, n] as const] : []));
  it.each(ready)('%s', check);
  if (pending.length) it.fails.each(pending)('not yet: %s', check);
});
