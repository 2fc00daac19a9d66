import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApiServer } from '../api/server';
import { canonicalJson } from '../core/canonical-json';
import { formatTrustedKeys, signerFrom } from '../core/signing';
import { verifyFilteredExport } from '../ledger/filtered-export';
import { createLedger, type Ledger } from '../ledger/ledger';
import { createApiKey } from '../services/principals/api-keys';
import { createTestDatabase, runCli, sampleEvent, type TestDatabase } from './support';
import { pythonVerdict } from './support/honest-bundle';

let t: TestDatabase;
let ledger: Ledger;
let app: FastifyInstance;
let dir: string;
let keysFile: string;
const keys: Record<string, string> = {};
const signer = signerFrom(generateKeyPairSync('ed25519').privateKey);
const trusted = new Map([[signer.keyId, signer]]);

beforeAll(async () => {
  t = await createTestDatabase();
  const writer = t.connect();
  ledger = createLedger(writer, { signer });
  dir = mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-api-export-'));
  keysFile = path.join(dir, 'keys.txt');
  writeFileSync(keysFile, formatTrustedKeys([signer]));
  await t.asOwner(
    `INSERT INTO principals (id, display_name, roles, created_by) VALUES ('alice', 'A', '{auditor}', 't'),
       ('rev', 'R', '{reviewer}', 't'), ('root', 'Admin', '{admin}', 't')`,
  );
  keys.auditor = (await createApiKey(ledger, { principalId: 'alice', role: 'auditor' }, 'root')).key;
  keys.reviewer = (await createApiKey(ledger, { principalId: 'rev', role: 'reviewer' }, 'root')).key;
  for (let i = 0; i < 40; i++)
    await ledger.append(
      sampleEvent({
        actor: { type: 'user', id: i % 2 ? 'bob' : 'carol' },
        case_id: `case-${i % 3}`,
        context: { workflow_id: i % 5 === 0 ? '=HYPERLINK("x")' : `wf-${i}` },
        payload: { note: `n"${i}`, name: i === 3 ? 'Ada Lovelace' : null },
      }),
      { stream: i % 2 ? 'billing' : 'payments', idempotencyKey: `e-${i}` },
    );
  await ledger.head();
  app = buildApiServer({ reader: t.connect('ledgerflow_reader'), writer, ledger, signer });
});
afterAll(async () => {
  await app?.close();
  await t?.drop();
  rmSync(dir, { recursive: true, force: true });
});

/** A parsed export line, edited in place by the tamper cases. */
type Line = {
  event: { payload: { note: string }; action: string };
  proof: string[];
  manifest: { count: number };
};

const get = (url: string, key = keys.auditor) =>
  app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });

async function exportTo(name: string, query: string): Promise<string> {
  const res = await get(`/v1/exports/events?${query}`);
  expect(res.statusCode, res.body.slice(0, 200)).toBe(200);
  const file = path.join(dir, name);
  writeFileSync(file, res.rawPayload);
  return file;
}

const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean);

/** A copy of `file` with its lines changed by `edit`. */
function variant(file: string, name: string, edit: (lines: string[]) => string[]): string {
  const out = path.join(dir, name);
  writeFileSync(
    out,
    edit(lines(file))
      .map((l) => `${l}\n`)
      .join(''),
  );
  return out;
}

describe('filtered exports', () => {
  it('exports a filter with a proof per event and a signed manifest; both verifiers accept it; the CSV digest matches', async () => {
    const file = await exportTo('carol.jsonl', 'actor=carol&case_id=case-1');
    const all = lines(file);
    const manifest = JSON.parse(all.at(-1) as string).manifest;
    const expected = Array.from({ length: 40 }, (_, i) => i).filter((i) => i % 2 === 0 && i % 3 === 1);
    expect(manifest).toMatchObject({
      format: 'ledgerflow-export/1',
      count: expected.length,
      exported_by: 'alice',
      filter: { actor: 'carol', case_id: 'case-1' },
      order: 'asc',
    });
    expect(all).toHaveLength(expected.length + 2);
    expect(await verifyFilteredExport(file, trusted)).toMatchObject({
      valid: true,
      eventsChecked: expected.length,
    });
    const py = await pythonVerdict(file, keysFile);
    expect(py).toMatchObject({ exit: 0, result: { valid: true, eventsChecked: expected.length } });
    const cli = await runCli(['ledger', 'verify-bundle', file, '--trusted-keys', keysFile]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(new RegExp(`^valid: ${expected.length} events`));

    const csv = await get(
      `/v1/exports/events?actor=carol&case_id=case-1&format=csv&head_version=${manifest.head_version}`,
    );
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(createHash('sha256').update(csv.rawPayload).digest('hex')).toBe(manifest.csv_sha256);
    expect(csv.body.split('\n')[0]).toBe(
      'stream,seq,occurred_at,event_type,actor_type,actor_id,action,outcome,resource_type,resource_id,subject_id,case_id,workflow_id,hash',
    );
    // Formula-looking text is defused, quotes doubled.
    const all40 = await exportTo('all.jsonl', 'order=desc&stream=payments');
    expect((await pythonVerdict(all40, keysFile)).result).toMatchObject({ valid: true, eventsChecked: 20 });
    const csvAll = (await get(`/v1/exports/events?order=desc&stream=payments&format=csv`)).body;
    expect(csvAll).toContain(`"'=HYPERLINK(""x"")"`);
  });

  it('both verifiers reject a changed payload, a dropped event, a bad proof, a forged count and an untrusted head', async () => {
    const file = await exportTo('base.jsonl', 'stream=billing');
    const edit = (i: number, f: (o: Line) => void) => (ls: string[]) =>
      ls.map((l, j) => {
        if (j !== i) return l;
        const o = JSON.parse(l);
        f(o);
        return canonicalJson(o);
      });
    const cases: Array<[string, string, (ls: string[]) => string[]]> = [
      ['payload changed', 'payload', edit(3, (o) => (o.event.payload.note = 'edited'))],
      ['event changed', 'envelope', edit(3, (o) => (o.event.action = 'delete'))],
      ['manifest mismatch', 'dropped', (ls) => ls.filter((_, j) => j !== 2)],
      ['proof invalid', 'proof', edit(2, (o) => (o.proof[0] = '0'.repeat(64)))],
      ['manifest signature invalid', 'count', edit(21, (o) => (o.manifest.count = 19))],
      ['order changed', 'repeat', (ls) => [...ls.slice(0, 3), ls[2] as string, ...ls.slice(3)]],
      ['malformed line', 'cut', (ls) => ls.slice(0, -1)],
    ];
    expect(lines(file)).toHaveLength(22);
    for (const [fault, name, change] of cases) {
      const bad = variant(file, `${name}.jsonl`, change);
      expect((await verifyFilteredExport(bad, trusted)).fault, name).toBe(fault);
      expect((await pythonVerdict(bad, keysFile)).result.fault, `python ${name}`).toBe(fault);
    }
    const other = signerFrom(generateKeyPairSync('ed25519').privateKey);
    const otherKeys = path.join(dir, 'other.txt');
    writeFileSync(otherKeys, formatTrustedKeys([other]));
    expect((await verifyFilteredExport(file, new Map([[other.keyId, other]]))).fault).toBe(
      'head signature invalid',
    );
    expect((await pythonVerdict(file, otherKeys)).result.fault).toBe('head signature invalid');
  });

  it('covers only events under the signed head, is a recorded read, and needs audit.export', async () => {
    await ledger.append(sampleEvent(), { stream: 'billing', idempotencyKey: 'after-head' });
    const file = await exportTo('cut.jsonl', 'stream=billing');
    expect(JSON.parse(lines(file).at(-1) as string).manifest.count).toBe(20);
    const reads = await t.asOwner(
      `SELECT count(*)::int AS n FROM ledger_events WHERE stream = 'access' AND action = 'export' AND actor_id = 'alice'`,
    );
    expect(reads.rows[0]?.n).toBeGreaterThan(0);
    expect((await get('/v1/exports/events', keys.reviewer)).statusCode).toBe(403);
    expect((await get('/v1/exports/events?max_rows=0')).statusCode).toBe(400);
    expect((await get('/v1/exports/events?head_version=999')).statusCode).toBe(409);
    expect((await get('/v1/exports/events?limit=5')).json().error).toMatch(/limit/);
  });
});
