import { createHash, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { canonicalJson } from '../../core/canonical-json';
import { signBytes, signerFrom, type Signer } from '../../core/signing';

/** What both verifiers must say about a bundle. */
export interface Expectation {
  valid: boolean;
  fault: string | null;
  stream: string | null;
  firstBadSeq: number | null;
}

/** One tampered bundle: how it was made and the verdict the spec prescribes. */
export interface TamperCase {
  name: string;
  /** Verify with the honest trusted head as `--trusted-checkpoint`. */
  anchored: boolean;
  expect: Expectation;
  /**
   * Set while the prescribed verdict is not implemented yet (the case then runs as a test that
   * must fail, so it turns red the day it starts to pass and the marker must go).
   */
  pending?: string;
  /** Edits a fresh copy of the honest bundle in place. */
  apply: (b: BundleFiles) => void;
}

type Line = Record<string, unknown>;

/** The honest bundle's files as editable values; `write` puts them back (lines in RFC 8785 form). */
export class BundleFiles {
  events: Line[];
  checkpoints: Line[];
  heads: Line[];
  /** Raw event lines, used instead of `events` when a case must write non-canonical text. */
  rawEvents: string[] | null = null;

  constructor(readonly dir: string) {
    const read = (f: string) =>
      readFileSync(path.join(dir, f), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Line);
    this.events = read('events.jsonl');
    this.checkpoints = read('checkpoints.jsonl');
    this.heads = read('heads.jsonl');
  }

  /** Index of the event line of `stream` at `seq`. */
  at(stream: string, seq: number): number {
    const i = this.events.findIndex((e) => e.stream === stream && e.seq === seq);
    if (i < 0) throw new Error(`no event ${stream}/${seq} in the honest bundle`);
    return i;
  }

  event(stream: string, seq: number): Line {
    return this.events[this.at(stream, seq)] as Line;
  }

  /** Canonical event lines as they would be written (for raw edits). */
  eventLines(): string[] {
    return this.events.map((e) => canonicalJson(e));
  }

  /** Rewrites the raw text of one event line (for encodings the canonical writer cannot produce). */
  editRaw(stream: string, seq: number, edit: (line: string) => string): void {
    const lines = this.rawEvents ?? this.eventLines();
    const i = this.at(stream, seq);
    lines[i] = edit(lines[i] as string);
    this.rawEvents = lines;
  }

  write(): void {
    const put = (f: string, lines: string[]) =>
      writeFileSync(path.join(this.dir, f), lines.map((l) => `${l}\n`).join(''));
    put('events.jsonl', this.rawEvents ?? this.eventLines());
    put(
      'checkpoints.jsonl',
      this.checkpoints.map((l) => canonicalJson(l)),
    );
    put(
      'heads.jsonl',
      this.heads.map((l) => canonicalJson(l)),
    );
  }
}

const ENVELOPE = [
  'stream',
  'event_id',
  'event_type',
  'actor',
  'occurred_at',
  'resource',
  'action',
  'outcome',
  'subject_id',
  'case_id',
  'context',
  'schema_version',
  'idempotency_key',
] as const;

const sha = (...parts: Array<Buffer | string>) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

/** The event hash of a bundle line, from the spec's formula. */
export function lineHash(e: Line, prev: Buffer, seq: number): Buffer {
  const env = Object.fromEntries(ENVELOPE.map((k) => [k, e[k]]));
  const u64 = Buffer.alloc(8);
  u64.writeBigUInt64BE(BigInt(seq));
  return sha(prev, u64, canonicalJson(env), Buffer.from(e.payload_digest as string, 'hex'));
}

/** Recomputes prev_hash/hash of `stream` from `fromSeq` on (a rewrite that hides itself in the chain). */
function rechain(b: BundleFiles, stream: string, fromSeq: number): void {
  const rows = b.events.filter((e) => e.stream === stream);
  let prev: Buffer =
    fromSeq === 1 ? Buffer.alloc(32) : Buffer.from(b.event(stream, fromSeq - 1).hash as string, 'hex');
  for (const e of rows.filter((r) => (r.seq as number) >= fromSeq)) {
    e.prev_hash = prev.toString('hex');
    prev = lineHash(e, prev, e.seq as number);
    e.hash = prev.toString('hex');
  }
}

function setPayload(e: Line, payload: Line, recomputeDigest: boolean): void {
  e.payload = payload;
  if (recomputeDigest)
    e.payload_digest = sha(Buffer.from(e.payload_salt as string, 'hex'), canonicalJson(payload)).toString(
      'hex',
    );
}

/** Replaces every signature of a signed note with one by `signer`. */
function resign(text: string, signer: Signer, editBody: (body: string) => string = (x) => x): string {
  const body = editBody(text.slice(0, text.indexOf('\n\n') + 1));
  return `${body}\n\u2014 ${signer.keyId} ${signBytes(signer, body).toString('base64')}\n`;
}

const bad = (stream: string | null, fault: string, firstBadSeq: number | null): Expectation => ({
  valid: false,
  fault,
  stream,
  firstBadSeq,
});
const VALID: Expectation = { valid: true, fault: null, stream: null, firstBadSeq: null };

/**
 * The tamper matrix over the honest bundle of `buildHonestBundle` (alpha and beta: 10 events,
 * checkpoints at 4, 8, 10; quiet: 2 events, checkpoint at 2; beta seq 9's payload purged, with
 * its purge event at compliance seq 1; heads v1..v3, v3 lists every stream).
 */
export function tamperCases(): TamperCase[] {
  const attacker = signerFrom(generateKeyPairSync('ed25519').privateKey);
  const cpOf = (b: BundleFiles, stream: string, size: number) => {
    const c = b.checkpoints.find((x) => x.stream === stream && x.tree_size === size);
    if (!c) throw new Error(`no checkpoint ${stream}@${size}`);
    return c;
  };
  const dropEvents = (b: BundleFiles, keep: (e: Line) => boolean) => {
    b.events = b.events.filter(keep);
  };
  const cases: TamperCase[] = [
    { name: 'honest', anchored: false, expect: VALID, apply: () => undefined },
    { name: 'honest, anchored by the trusted head', anchored: true, expect: VALID, apply: () => undefined },
    {
      name: 'manifest edited (unsigned, a warning only)',
      anchored: false,
      expect: VALID,
      apply: (b) => {
        const f = path.join(b.dir, 'manifest.json');
        writeFileSync(f, readFileSync(f, 'utf8').replace('"created_at": "', '"created_at": "1'));
      },
    },
    {
      name: 'field edit: action',
      anchored: false,
      expect: bad('alpha', 'event changed', 5),
      apply: (b) => void (b.event('alpha', 5).action = 'erase'),
    },
    {
      name: 'field edit: occurred_at',
      anchored: false,
      expect: bad('beta', 'event changed', 3),
      apply: (b) => void (b.event('beta', 3).occurred_at = '2020-01-01T00:00:00.000000Z'),
    },
    {
      name: 'field edit: context',
      anchored: true,
      expect: bad('alpha', 'event changed', 7),
      apply: (b) => void (b.event('alpha', 7).context = { step: 'forged' }),
    },
    {
      name: 'field edit: subject_id with its hash recomputed',
      anchored: false,
      expect: bad('beta', 'event changed', 2),
      apply: (b) => {
        const e = b.event('beta', 2);
        e.subject_id = 'someone-else';
        e.hash = lineHash(e, Buffer.from(e.prev_hash as string, 'hex'), 2).toString('hex');
      },
    },
    {
      name: 'payload edit, digest kept',
      anchored: false,
      expect: bad('alpha', 'payload changed', 3),
      apply: (b) => setPayload(b.event('alpha', 3), { i: 99 }, false),
    },
    {
      name: 'payload edit, digest recomputed',
      anchored: false,
      expect: bad('alpha', 'event changed', 3),
      apply: (b) => setPayload(b.event('alpha', 3), { i: 99 }, true),
    },
    {
      name: 'payload edit, digest and every later hash recomputed',
      anchored: false,
      expect: bad('quiet', 'event changed', 1),
      apply: (b) => {
        setPayload(b.event('quiet', 1), { q: 'forged' }, true);
        rechain(b, 'quiet', 1);
      },
    },
    {
      name: 'payload deleted without a purge',
      anchored: false,
      expect: bad('alpha', 'payload missing', 6),
      apply: (b) => Object.assign(b.event('alpha', 6), { payload: null, payload_salt: null }),
    },
    {
      name: 'forged purge flag (no chained purge event covers it)',
      anchored: false,
      expect: bad('alpha', 'payload missing', 2),
      apply: (b) =>
        Object.assign(b.event('alpha', 2), { payload: null, payload_salt: null, payload_purged: true }),
    },
    {
      name: 'forged purge event appended to the unsigned compliance tail',
      anchored: false,
      expect: bad('alpha', 'payload missing', 2),
      apply: (b) => {
        Object.assign(b.event('alpha', 2), { payload: null, payload_salt: null, payload_purged: true });
        const honestPurge = b.event('compliance', 1);
        const forged: Line = {
          ...honestPurge,
          seq: 2,
          event_id: randomUUID(),
          idempotency_key: 'payload-purge:ledger_payloads:2:0:run-forged',
          resource: { type: 'ledger_payload_ranges', id: 'alpha:2-2' },
          prev_hash: honestPurge.hash,
        };
        forged.hash = lineHash(forged, Buffer.from(honestPurge.hash as string, 'hex'), 2).toString('hex');
        b.events.splice(b.at('compliance', 1) + 1, 0, forged);
      },
    },
    {
      name: 'purge event ranges widened to cover a deleted payload',
      anchored: false,
      expect: bad('compliance', 'event changed', 1),
      apply: (b) => {
        Object.assign(b.event('beta', 8), { payload: null, payload_salt: null, payload_purged: true });
        b.event('compliance', 1).resource = { type: 'ledger_payload_ranges', id: 'beta:8-9' };
      },
    },
    {
      name: 'purge event ranges widened, hash recomputed',
      anchored: true,
      expect: bad('compliance', 'event changed', 1),
      apply: (b) => {
        Object.assign(b.event('beta', 8), { payload: null, payload_salt: null, payload_purged: true });
        b.event('compliance', 1).resource = { type: 'ledger_payload_ranges', id: 'beta:8-9' };
        rechain(b, 'compliance', 1);
      },
    },
    {
      name: 'purge flag cleared on an honestly purged payload',
      anchored: false,
      expect: bad('beta', 'payload missing', 9),
      apply: (b) => {
        b.event('beta', 9).payload_purged = false;
      },
    },
    {
      name: 'deletion without renumbering',
      anchored: false,
      expect: bad('alpha', 'event deleted', 5),
      apply: (b) => dropEvents(b, (e) => !(e.stream === 'alpha' && e.seq === 5)),
    },
    {
      name: 'deletion with later events renumbered',
      anchored: false,
      expect: bad('alpha', 'event deleted', 5),
      apply: (b) => {
        dropEvents(b, (e) => !(e.stream === 'alpha' && e.seq === 5));
        for (const e of b.events)
          if (e.stream === 'alpha' && (e.seq as number) > 5) e.seq = (e.seq as number) - 1;
      },
    },
    {
      name: 'deletion of the first event, renumbered',
      anchored: false,
      expect: bad('beta', 'event deleted', 1),
      apply: (b) => {
        dropEvents(b, (e) => !(e.stream === 'beta' && e.seq === 1));
        for (const e of b.events) if (e.stream === 'beta') e.seq = (e.seq as number) - 1;
      },
    },
    {
      name: 'reorder: two events swapped, seqs renumbered',
      anchored: false,
      expect: bad('alpha', 'order changed', 4),
      apply: (b) => {
        const [i, j] = [b.at('alpha', 4), b.at('alpha', 5)];
        const [x, y] = [b.events[i] as Line, b.events[j] as Line];
        [b.events[i], b.events[j]] = [y, x];
        y.seq = 4;
        x.seq = 5;
      },
    },
    {
      name: 'reorder: two lines swapped as written',
      anchored: false,
      expect: bad('alpha', 'event deleted', 4),
      apply: (b) => {
        const [i, j] = [b.at('alpha', 4), b.at('alpha', 5)];
        [b.events[i], b.events[j]] = [b.events[j] as Line, b.events[i] as Line];
      },
    },
    {
      name: 'insertion: forged event chained in, later renumbered',
      anchored: false,
      expect: bad('alpha', 'event inserted', 5),
      apply: (b) => {
        const i = b.at('alpha', 5);
        const forged: Line = { ...b.events[i], event_id: randomUUID(), action: 'forged', seq: 5 };
        forged.prev_hash = b.event('alpha', 4).hash;
        forged.hash = lineHash(forged, Buffer.from(forged.prev_hash as string, 'hex'), 5).toString('hex');
        for (const e of b.events)
          if (e.stream === 'alpha' && (e.seq as number) >= 5) e.seq = (e.seq as number) + 1;
        b.events.splice(i, 0, forged);
      },
    },
    {
      name: 'insertion: a duplicated line',
      anchored: false,
      expect: bad('beta', 'order changed', 6),
      apply: (b) => void b.events.splice(b.at('beta', 5) + 1, 0, { ...b.event('beta', 5) }),
    },
    {
      name: 'rewrite with every later hash recomputed',
      anchored: false,
      expect: bad('alpha', 'event changed', 5),
      apply: (b) => {
        b.event('alpha', 6).action = 'rewritten';
        rechain(b, 'alpha', 6);
      },
    },
    {
      name: 'rewrite with every later hash recomputed, anchored',
      anchored: true,
      expect: bad('alpha', 'event changed', 5),
      apply: (b) => {
        b.event('alpha', 6).action = 'rewritten';
        rechain(b, 'alpha', 6);
      },
    },
    {
      // The genuine head v2 still lists beta at 8 with the old root: a validly signed root that
      // disagrees outranks the untrusted checkpoints.
      name: 'rewrite re-signed with a forged key',
      anchored: false,
      expect: bad('beta', 'event changed', 1),
      apply: (b) => {
        b.event('beta', 2).outcome = 'denied';
        rechain(b, 'beta', 2);
        for (const c of b.checkpoints.filter((x) => x.stream === 'beta'))
          c.checkpoint = resign(c.checkpoint as string, attacker);
      },
    },
    {
      name: 'truncation of the tail, checkpoints kept',
      anchored: false,
      expect: bad('alpha', 'tail truncated after a checkpoint', 9),
      apply: (b) => dropEvents(b, (e) => !(e.stream === 'alpha' && (e.seq as number) > 8)),
    },
    {
      name: 'truncation with the checkpoints and heads that cover it removed',
      anchored: false,
      expect: VALID,
      apply: (b) => {
        dropEvents(b, (e) => !(e.stream === 'alpha' && (e.seq as number) > 8));
        b.checkpoints = b.checkpoints.filter((c) => !(c.stream === 'alpha' && (c.tree_size as number) > 8));
        b.heads = b.heads.filter((h) => h.version === 1);
      },
    },
    {
      name: 'truncation with the checkpoints and heads removed, anchored',
      anchored: true,
      expect: bad(null, 'head chain broken', null),
      apply: (b) => {
        dropEvents(b, (e) => !(e.stream === 'alpha' && (e.seq as number) > 8));
        b.checkpoints = b.checkpoints.filter((c) => !(c.stream === 'alpha' && (c.tree_size as number) > 8));
        b.heads = b.heads.filter((h) => h.version === 1);
      },
    },
    {
      name: 'stream removal (events only)',
      anchored: false,
      expect: bad('quiet', 'stream removed', 1),
      apply: (b) => dropEvents(b, (e) => e.stream !== 'quiet'),
    },
    {
      name: 'stream removal with its checkpoints, anchored',
      anchored: true,
      expect: bad('quiet', 'stream removed', 1),
      apply: (b) => {
        dropEvents(b, (e) => e.stream !== 'quiet');
        b.checkpoints = b.checkpoints.filter((c) => c.stream !== 'quiet');
      },
    },
    {
      name: 'stream addition (older than the signed head)',
      anchored: false,
      expect: bad('extra', 'stream added', 1),
      apply: (b) => {
        let prev: Buffer = Buffer.alloc(32);
        for (let seq = 1; seq <= 3; seq++) {
          const salt = randomBytes(16);
          const payload = { added: seq };
          const e: Line = {
            ...b.event('quiet', 1),
            stream: 'extra',
            seq,
            event_id: randomUUID(),
            idempotency_key: `extra-${seq}`,
            occurred_at: `2020-01-01T00:00:0${seq}.000000Z`,
            payload,
            payload_salt: salt.toString('hex'),
            payload_digest: sha(salt, canonicalJson(payload)).toString('hex'),
            prev_hash: prev.toString('hex'),
          };
          prev = lineHash(e, prev, seq);
          e.hash = prev.toString('hex');
          b.events.push(e);
        }
      },
    },
    {
      name: 'forged signature bytes on a checkpoint',
      anchored: false,
      expect: bad('alpha', 'checkpoint signature invalid', 5),
      apply: (b) => {
        const c = cpOf(b, 'alpha', 8);
        const text = c.checkpoint as string;
        const sig = text.slice(text.lastIndexOf(' ') + 1, -1);
        const flipped = Buffer.from(sig, 'base64');
        flipped[0] = (flipped[0] as number) ^ 1;
        c.checkpoint = text.replace(sig, flipped.toString('base64'));
      },
    },
    {
      name: 'checkpoint replaced by one signed with an untrusted key',
      anchored: false,
      expect: bad('beta', 'checkpoint signature invalid', 1),
      apply: (b) => {
        const c = cpOf(b, 'beta', 4);
        c.checkpoint = resign(c.checkpoint as string, attacker);
      },
    },
    {
      name: 'checkpoint root altered, signature kept',
      anchored: false,
      expect: bad('alpha', 'checkpoint signature invalid', 5),
      apply: (b) => {
        const c = cpOf(b, 'alpha', 8);
        const lines = (c.checkpoint as string).split('\n');
        lines[2] = randomBytes(32).toString('base64');
        c.checkpoint = lines.join('\n');
      },
    },
    {
      name: 'forged checkpoint past the head',
      anchored: false,
      expect: bad('alpha', 'checkpoint signature invalid', null),
      apply: (b) => {
        const c = cpOf(b, 'alpha', 10);
        b.checkpoints.push({
          stream: 'alpha',
          tree_size: 12,
          checkpoint: resign(c.checkpoint as string, attacker, (body) => body.replace('\n10\n', '\n12\n')),
        });
      },
    },
    {
      name: 'duplicate member',
      anchored: false,
      expect: bad('alpha', 'malformed line', 3),
      apply: (b) => {
        b.editRaw('alpha', 3, (l) => l.replace('"action":"record"', '"action":"erase","action":"record"'));
      },
    },
    {
      name: 'non-canonical: upper-case hex salt',
      anchored: false,
      expect: bad('alpha', 'malformed line', 3),
      apply: (b) => {
        const e = b.event('alpha', 3);
        e.payload_salt = (e.payload_salt as string).toUpperCase();
      },
    },
    {
      name: 'non-canonical: re-spaced line',
      anchored: false,
      expect: bad('beta', 'malformed line', 4),
      apply: (b) => {
        b.editRaw('beta', 4, (l) => JSON.stringify(JSON.parse(l), null, 1).replace(/\n/g, ''));
      },
    },
    {
      name: 'non-canonical: members re-ordered',
      anchored: false,
      expect: bad('alpha', 'malformed line', 4),
      apply: (b) => {
        b.editRaw('alpha', 4, (l) =>
          JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(l) as Line).reverse())),
        );
      },
    },
    {
      name: 'non-canonical: integer above 2^53 in a payload',
      anchored: false,
      expect: bad('alpha', 'malformed line', 2),
      apply: (b) => {
        b.editRaw('alpha', 2, (l) => l.replace('"i":1,', '"i":9007199254740992,'));
      },
    },
    {
      name: 'non-canonical: lone surrogate in a payload string',
      anchored: false,
      expect: bad('alpha', 'malformed line', 2),
      apply: (b) => {
        b.editRaw('alpha', 2, (l) => l.replace('"name":"Zo', '"name":"\\ud800Zo'));
      },
    },
    {
      name: 'not JSON in the middle of a stream',
      anchored: false,
      expect: bad('beta', 'malformed line', 6),
      apply: (b) => {
        b.editRaw('beta', 6, () => '{"stream": beta, garbage');
      },
    },
    {
      name: 'not JSON on the first line',
      anchored: false,
      expect: bad(null, 'malformed line', null),
      apply: (b) => {
        b.editRaw('alpha', 1, () => 'garbage');
      },
    },
    {
      name: 'lines of a stream not contiguous',
      anchored: false,
      expect: bad('alpha', 'order changed', 10),
      apply: (b) => b.events.push(...b.events.splice(b.at('alpha', 10), 1)),
    },
    {
      name: 'head tampered: a stream size edited, signature kept',
      anchored: false,
      expect: bad(null, 'head chain broken', null),
      apply: (b) => {
        const h = b.heads.find((x) => x.version === 2) as Line;
        h.head = (h.head as string).replace('\nbeta 8 ', '\nbeta 7 ');
      },
    },
    {
      name: 'head rolled back (latest head removed), anchored',
      anchored: true,
      expect: bad(null, 'head chain broken', null),
      apply: (b) => {
        b.heads = b.heads.filter((h) => h.version !== 3);
      },
    },
    {
      name: 'head forked: latest head re-signed by an untrusted key over another quiet root, anchored',
      anchored: true,
      expect: bad(null, 'head chain broken', null),
      apply: (b) => {
        const h = b.heads.find((x) => x.version === 3) as Line;
        h.head = resign(h.head as string, attacker, (body) =>
          body.replace(/\nquiet 2 \S+\n/, `\nquiet 2 ${randomBytes(32).toString('base64')}\n`),
        );
      },
    },
  ];
  return cases;
}

/** Copies the honest bundle to `root/<n>` and applies the case. */
export function materialise(honestDir: string, root: string, n: number, c: TamperCase): string {
  const dir = path.join(root, `case-${n}`);
  rmSync(dir, { recursive: true, force: true });
  cpSync(honestDir, dir, { recursive: true });
  const b = new BundleFiles(dir);
  c.apply(b);
  b.write();
  return dir;
}
