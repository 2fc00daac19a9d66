import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_CSP } from '../api/console';
import { buildApiServer } from '../api/server';
import { canonicalJson } from '../core/canonical-json';
import { formatTrustedKeys, signerFrom } from '../core/signing';
import { createLedger, type Ledger } from '../ledger/ledger';
import { createApiKey } from '../services/principals/api-keys';
import { browserOrSkip, createTestDatabase, sampleEvent, type TestDatabase } from './support';

/** Screenshots of every step (gitignored); the main ones are copied into docs/console/. */
const ARTIFACTS = path.resolve(__dirname, '..', 'test-artifacts', 'console');
const executablePath = browserOrSkip();

let t: TestDatabase;
let ledger: Ledger;
let app: FastifyInstance;
let base: string;
let browser: Browser;
let auditorKey: string;
let keysFile: string;
let otherKeysFile: string;
const signer = signerFrom(generateKeyPairSync('ed25519').privateKey);
const stranger = signerFrom(generateKeyPairSync('ed25519').privateKey);
const HOSTILE_RESOURCE = '<img src=x onerror="window.__pwned=1">';
const HOSTILE_NOTE = '<script>window.__pwned=2</script>';
const ALERT_ID = randomUUID();
/** A captured loan workflow history (the replay fixtures), archived as the history archiver stores it. */
const HISTORY = readFileSync(path.join(__dirname, 'fixtures', 'histories', 'loan-approve.json'), 'utf8');
const WORKFLOW_ID = 'cap-approve';
const RUN_ID = (
  JSON.parse(HISTORY) as {
    events: Array<{ workflowExecutionStartedEventAttributes?: { originalExecutionRunId?: string } }>;
  }
).events[0]?.workflowExecutionStartedEventAttributes?.originalExecutionRunId as string;

beforeAll(async () => {
  if (!executablePath) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  t = await createTestDatabase();
  const writer = t.connect();
  ledger = createLedger(writer, { signer });
  await t.asOwner(
    `INSERT INTO principals (id, display_name, roles, created_by) VALUES ('alice', 'Alice', '{auditor}', 't'),
       ('root', 'Admin', '{admin}', 't')`,
  );
  auditorKey = (await createApiKey(ledger, { principalId: 'alice', role: 'auditor' }, 'root')).key;
  // A loan case across two streams, with its workflow run in the context.
  const steps = ['application_received', 'kyc_checked', 'credit_scored', 'decision_made'];
  for (const [i, step] of steps.entries())
    await ledger.append(
      sampleEvent({
        event_type: `loan.${step}`,
        actor: { type: 'workflow', id: 'loan-origination' },
        resource: { type: 'loan_application', id: 'app-7' },
        action: step === 'decision_made' ? 'approve' : 'record',
        case_id: 'case-7',
        subject_id: 'subj-7',
        context: { workflow_id: WORKFLOW_ID, run_id: RUN_ID, step },
        payload: { note: `step ${i}` },
      }),
      { stream: i % 2 ? 'loan' : 'payments', idempotencyKey: `case-7-${step}` },
    );
  await ledger.append(
    sampleEvent({
      event_type: 'test.hostile_recorded',
      resource: { type: 'note', id: HOSTILE_RESOURCE },
      payload: { note: HOSTILE_NOTE },
    }),
    { stream: 'payments', idempotencyKey: 'hostile' },
  );
  // 60 more: more than one page (50) of a search.
  for (let i = 0; i < 60; i++)
    await ledger.append(
      sampleEvent({ event_type: 'billing.invoice_issued', resource: { type: 'invoice', id: `inv-${i}` } }),
      { stream: 'billing', idempotencyKey: `inv-${i}` },
    );
  await ledger.head();
  await ledger.append(
    sampleEvent({
      event_type: 'monitoring.alert_raised',
      resource: { type: 'monitoring_alert', id: ALERT_ID },
      action: 'raise',
      payload: { typology: 'structuring' },
    }),
    { stream: 'monitoring', idempotencyKey: 'alert' },
  );
  await t.asOwner(
    `INSERT INTO workflow_histories (workflow_id, run_id, workflow_type, status, closed_at, event_count, history, digest_sha256)
     VALUES ($1, $2, 'loanOrigination', 'completed', now(), 46, $3, 'not-checked-here')`,
    [WORKFLOW_ID, RUN_ID, HISTORY],
  );
  // One monitoring alert as the monitoring service stores it (its own tests cover how it is raised).
  await t.asOwner(
    `INSERT INTO monitoring_alerts (alert_id, account_id, typology, score, decision, mode, rule_set_version,
       trigger_transaction_id, transaction_ids, fired_rules, rules, snapshot)
     VALUES ($1, 'acct-9', 'structuring', 0.92, 'alert', 'live', 3, 'tx-3', '{tx-1,tx-2,tx-3}', '{cash_split}',
       $2::jsonb, $3::jsonb)`,
    [
      ALERT_ID,
      JSON.stringify([{ rule: 'cash_split', why: '3 cash deposits under 10000 within 24h' }]),
      JSON.stringify({ window: '24h', deposits: [9500, 9800, 9900] }),
    ],
  );
  await ledger.head();
  app = buildApiServer({
    reader: t.connect('ledgerflow_reader'),
    writer,
    ledger,
    signer,
    console: { temporalUiUrl: 'http://127.0.0.1:8233', temporalNamespace: 'default' },
  });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  const dir = path.join(tmpdir(), `console-test-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  keysFile = path.join(dir, 'keys.txt');
  writeFileSync(keysFile, formatTrustedKeys([signer], 'published by compliance'));
  otherKeysFile = path.join(dir, 'other-keys.txt');
  writeFileSync(otherKeysFile, formatTrustedKeys([stranger]));
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await t?.drop();
});

/** A fresh browser profile (empty session and local storage) with CSP violations collected. */
async function open(
  viewport = { width: 1280, height: 900 },
): Promise<{ ctx: BrowserContext; page: Page; csp: string[] }> {
  const ctx = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await ctx.newPage();
  const csp: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) csp.push(m.text());
  });
  await page.goto(`${base}/`);
  return { ctx, page, csp };
}

async function signIn(page: Page, key = auditorKey): Promise<void> {
  await page.getByLabel('API key (auditor role)').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function pinKeysFile(page: Page, file = keysFile): Promise<void> {
  await page.getByRole('button', { name: 'Pinned keys' }).click();
  await page.locator('#keys-file').setInputFiles(file);
  await page.getByText(/Pinned \d key\(s\) from/).waitFor();
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });

async function search(page: Page, fill: Record<string, string>): Promise<void> {
  await page.getByRole('button', { name: 'Search', exact: true }).first().click();
  for (const [id, v] of Object.entries(fill)) {
    const input = page.locator(`#f-${id}`);
    if (['order', 'outcome', 'actor_type'].includes(id)) await input.selectOption(v);
    else await input.fill(v);
  }
  await page.locator('#search-button').click();
  await page.locator('#results[data-state="done"]').waitFor();
  const failed = page.locator('#results .notice.error');
  if (await failed.count()) throw new Error(`search ${JSON.stringify(fill)}: ${await failed.innerText()}`);
}

/** The parts of a proven event's answer the tampering cases change. */
interface Served {
  event: Record<string, unknown>;
  proof: { proof: string[] };
  head: { head: string };
}

const refs = (page: Page) =>
  page.locator('#results tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-ref')));

describe.skipIf(!executablePath)('auditor console in Chromium', () => {
  it('is served at / with a strict Content-Security-Policy and loads without violating it', async () => {
    for (const p of ['/', '/console/app.js', '/console/app.css']) {
      const res = await fetch(`${base}${p}`);
      expect(res.status, p).toBe(200);
      expect(res.headers.get('content-security-policy'), p).toBe(CONSOLE_CSP);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
    expect(CONSOLE_CSP).not.toMatch(/unsafe|\*/);
    const { ctx, page, csp } = await open();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await shot(page, 'sign-in');
    expect(csp).toEqual([]);
    await ctx.close();
  });

  it('signs in with a key kept in sessionStorage only; a wrong key is refused; sign-out clears it', async () => {
    const { ctx, page } = await open();
    await signIn(page, 'lf_not-a-real-key');
    await page.getByRole('alert').filter({ hasText: 'Sign-in refused' }).waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await signIn(page);
    await page.locator('#sign-out').waitFor();
    const stored = await page.evaluate(() => ({
      session: Object.values(sessionStorage),
      local: JSON.stringify(Object.values(localStorage)),
    }));
    expect(stored.session).toEqual([auditorKey]);
    expect(stored.local).not.toContain(auditorKey);
    // A reload in the same tab stays signed in; sign-out forgets the key.
    await page.reload();
    await page.locator('#sign-out').click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await ctx.close();
  });

  it('pins keys from keys.txt or a typed fingerprint; served keys are listed as unpinned', async () => {
    const { ctx, page } = await open();
    await signIn(page);
    await page.getByRole('button', { name: 'Pinned keys' }).click();
    await page.locator('#served-keys li').filter({ hasText: signer.keyId }).waitFor();
    expect(await page.locator('#served-keys').innerText()).toContain('served, unpinned');
    expect(await page.locator('#pinned-keys').innerText()).toContain('No key pinned yet');
    // A line whose key id does not match its key pins nothing.
    const forged = `ed25519 ${stranger.keyId} ${signer.publicKey.toString('base64')}`;
    await page.locator('#key-typed').fill(forged);
    await page.getByRole('button', { name: 'Pin', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'does not match its public key' }).waitFor();
    // An unknown fingerprint pins nothing; the served key's fingerprint pins that key.
    await page.locator('#key-typed').fill(stranger.keyId);
    await page.getByRole('button', { name: 'Pin', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'No key served by this API' }).waitFor();
    await page.locator('#key-typed').fill(signer.keyId);
    await page.getByRole('button', { name: 'Pin', exact: true }).click();
    await page.locator('#pinned-keys li').filter({ hasText: signer.keyId }).waitFor();
    await page.getByRole('button', { name: `Unpin key ${signer.keyId}` }).click();
    await pinKeysFile(page);
    await page.locator('#pinned-keys li').filter({ hasText: signer.keyId }).waitFor();
    const pinned = await page.evaluate(() => localStorage.getItem('ledgerflow.pinnedKeys'));
    expect(JSON.parse(pinned ?? '[]')).toEqual([
      { keyId: signer.keyId, publicKey: signer.publicKey.toString('base64') },
    ]);
    await shot(page, 'pinned-keys');
    await ctx.close();
  });

  it('searches across streams with filters and full text, pages by cursor, and moves through rows with the keyboard', async () => {
    const { ctx, page } = await open();
    await signIn(page);
    await search(page, { case_id: 'case-7' });
    expect((await refs(page)).sort()).toEqual(['loan/1', 'loan/2', 'payments/1', 'payments/2']);
    await search(page, { case_id: '', q: 'approve' });
    expect(await refs(page)).toEqual(['loan/2']);
    await search(page, { q: '', stream: 'billing' });
    const first = await refs(page);
    expect(first).toHaveLength(50);
    await page.locator('#next-page').click();
    await page.locator('#results[data-state="done"]').getByText('Page 2', { exact: true }).waitFor();
    const second = await refs(page);
    expect(second).toHaveLength(10);
    expect(new Set([...first, ...second]).size).toBe(60);
    await page.getByRole('button', { name: '← Previous page' }).click();
    await page.locator('#results[data-state="done"]').getByText('Page 1', { exact: true }).waitFor();
    expect(await refs(page)).toEqual(first);
    await shot(page, 'search');
    // The first row has focus after a search; ArrowDown twice, then Enter opens the third.
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-ref'))).toBe(first[2]);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: `Event ${(first[2] as string).replace('/', ':')}` }).waitFor();
    await page.locator('#verdict').waitFor();
    await page.keyboard.press('Escape');
    await page.locator('#results tbody tr').first().waitFor();
    await ctx.close();
  });

  it('verifies an honest event in the browser (green) and says why not (red) when the response is altered, the key is not pinned or another key is', async () => {
    const { ctx, page } = await open();
    await signIn(page);
    const verdictOf = async (ref: string): Promise<{ ok: boolean; text: string }> => {
      await search(page, { stream: ref.split('/')[0] as string });
      await page.locator(`#results tr[data-ref="${ref}"]`).click();
      const v = page.locator('#verdict');
      await v.waitFor();
      return { ok: (await v.getAttribute('class'))?.includes('ok') ?? false, text: await v.innerText() };
    };
    // Nothing pinned: red, naming the head's key.
    const unpinned = await verdictOf('payments/2');
    expect(unpinned.ok).toBe(false);
    expect(unpinned.text).toContain(`signed by ${signer.keyId}; none of these keys is pinned`);
    // Another key pinned: still red.
    await pinKeysFile(page, otherKeysFile);
    expect((await verdictOf('payments/2')).ok).toBe(false);
    await pinKeysFile(page);
    const honest = await verdictOf('payments/2');
    expect(honest).toMatchObject({ ok: true });
    expect(honest.text).toContain(`signed by pinned key ${signer.keyId}`);
    await shot(page, 'event-verified');
    // The test alters what the API answers (the server still stands behind it): the browser notices.
    const alter = async (change: (body: Served) => void, expected: RegExp) => {
      await page.route('**/v1/events/payments/2', async (route) => {
        const res = await route.fetch();
        const body = (await res.json()) as Served;
        change(body);
        await route.fulfill({ response: res, json: body });
      });
      const v = await verdictOf('payments/2');
      await page.unrouteAll();
      expect(v.ok).toBe(false);
      expect(v.text).toMatch(expected);
      return v;
    };
    await alter(
      (b) => (b.event.action = 'reject'),
      /Not verified: the event's members hash to .* the event was changed/,
    );
    await shot(page, 'event-tampered');
    // A forger who also rewrites the event's hash: the audit path no longer reaches the signed root.
    await alter((b) => {
      b.event.outcome = 'denied';
      b.event.hash = 'ab'.repeat(32);
    }, /Not verified: the event's members hash to/);
    await alter(
      (b) => (b.proof.proof[0] = '00'.repeat(32)),
      /the audit path leads to root .* but the signed head says/,
    );
    await alter(
      (b) =>
        (b.head.head = (b.head.head as string).replace(
          /^(payments \d+ )\S+$/m,
          `$1${Buffer.alloc(32, 1).toString('base64')}`,
        )),
      /but the signed head says/,
    );
    await alter(
      (b) =>
        (b.head.head = (b.head.head as string).replace(
          /(— \S+ )(\S)/,
          (_m: string, p: string, c: string) => p + (c === 'A' ? 'B' : 'A'),
        )),
      /signature by pinned key .* does not verify/,
    );
    await ctx.close();
  });

  it('shows a case timeline: the Temporal history joined with ledger events, linked to the Temporal Web UI', async () => {
    const { ctx, page } = await open();
    await signIn(page);
    await search(page, { case_id: 'case-7', order: 'asc' });
    await page.locator('#results tr[data-ref="payments/1"]').click();
    await page.getByRole('button', { name: 'case-7 (timeline)' }).click();
    await page.locator('#timeline li').first().waitFor();
    const items = await page.locator('#timeline li').allInnerTexts();
    expect(items.map((s) => /loan\.\w+/.exec(s)?.[0])).toEqual([
      'loan.application_received',
      'loan.kyc_checked',
      'loan.credit_scored',
      'loan.decision_made',
    ]);
    // The archived history of the case's workflow, joined: Temporal events and the case's ledger events.
    const joined = page.locator('.workflow-timeline');
    expect(await joined.locator('li.temporal').count()).toBe(46);
    expect(await joined.locator('li.temporal').first().innerText()).toContain('WorkflowExecutionStarted');
    expect(await joined.locator('li.ledger').count()).toBe(4);
    expect(await joined.locator('a.temporal-link').getAttribute('href')).toBe(
      `http://127.0.0.1:8233/namespaces/default/workflows/${WORKFLOW_ID}/${RUN_ID}/history`,
    );
    await shot(page, 'timeline');
    // A ledger entry of the joined timeline opens the event with its proof.
    await joined.locator('li.ledger button').first().click();
    await page.locator('#verdict').waitFor();
    await ctx.close();
  });

  it('downloads the signed export of the current filter and verifies it in the browser; a changed line is caught', async () => {
    const { ctx, page } = await open();
    await signIn(page);
    await pinKeysFile(page);
    await search(page, { stream: 'billing' });
    const exportNow = async () => {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.locator('#export-button').click(),
      ]);
      const text = readFileSync(await download.path(), 'utf8');
      return { text, name: download.suggestedFilename() };
    };
    const { text, name } = await exportNow();
    expect(name).toMatch(/^ledgerflow-export-h\d+\.jsonl$/);
    const lines = text
      .trimEnd()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            type: string;
            event: { stream: string; seq: number };
            manifest: { count: number };
          },
      );
    expect(lines[0]?.type).toBe('head');
    expect(lines.slice(1, -1).map((l) => `${l.event.stream}/${l.event.seq}`)).toEqual(
      Array.from({ length: 60 }, (_, i) => `billing/${i + 1}`),
    );
    expect(lines.at(-1)?.manifest.count).toBe(60);
    const verdict = page.locator('#export-verdict');
    await verdict.waitFor();
    expect(await verdict.getAttribute('class')).toContain('ok');
    expect(await verdict.innerText()).toContain(`60 events, each proven against signed head version`);
    await shot(page, 'export-verified');
    // The same export with one event changed on the way (re-encoded canonically): red, naming the line.
    await page.route('**/v1/exports/events**', async (route) => {
      const res = await route.fetch();
      const out = (await res.text()).split('\n');
      const line = JSON.parse(out[3] as string) as { event: { action: string } };
      line.event.action = 'void';
      out[3] = canonicalJson(line);
      await route.fulfill({ response: res, body: out.join('\n') });
    });
    await exportNow();
    await page.locator('#export-verdict.bad').getByText('line 4: event billing:3 was changed').waitFor();
    await page.unrouteAll();
    // An API without the export route (fastify's own 404): every event of the filter, page by page.
    await page.route('**/v1/exports/events**', (route) =>
      route.fulfill({
        status: 404,
        json: { message: 'Route GET:/v1/exports/events not found', error: 'Not Found', statusCode: 404 },
      }),
    );
    const fallback = await exportNow();
    await page.unrouteAll();
    expect(fallback.name).toMatch(/^ledgerflow-events-.*\.jsonl$/);
    const events = fallback.text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { stream: string; seq: number });
    expect(events.map((e) => `${e.stream}/${e.seq}`)).toEqual(
      Array.from({ length: 60 }, (_, i) => `billing/${i + 1}`),
    );
    await page.getByText('Downloaded 60 events (this API offers no signed export yet).').waitFor();
    await ctx.close();
  });

  it('renders an event containing <script> and an onerror image as text, never as markup', async () => {
    const { ctx, page, csp } = await open();
    await signIn(page);
    await search(page, { q: 'hostile' });
    await page.getByText(HOSTILE_RESOURCE, { exact: false }).first().waitFor();
    await page.locator('#results tbody tr').first().press('Enter');
    await page.getByText(HOSTILE_NOTE, { exact: false }).first().waitFor();
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('main script, main img').count()).toBe(0);
    expect(csp).toEqual([]);
    await shot(page, 'escaping');
    await ctx.close();
  });

  it('explains alerts and shows the verification status of the latest head', async () => {
    const { ctx, page } = await open();
    await signIn(page);
    await page.getByRole('button', { name: 'Hits & alerts' }).click();
    await page.getByRole('button', { name: /structuring · alert/ }).click();
    await page.locator('#alert-detail').getByText('3 cash deposits under 10000 within 24h').waitFor();
    // Its ledger trace (the alert_raised event), which opens with its proof; and back from the event.
    await page.locator('#alert-detail tr[data-ref="monitoring/1"]').click();
    await page.locator('#verdict').waitFor();
    await page.locator('#explain').click();
    await page.locator('#alert-detail').getByText('3 cash deposits under 10000 within 24h').waitFor();
    await shot(page, 'alerts');
    await page.getByRole('button', { name: 'Verification' }).click();
    expect(await page.locator('#head-verdict').getAttribute('class')).toContain('bad');
    await page.locator('#verification-runs').getByText('No verification run recorded yet.').waitFor();
    await pinKeysFile(page);
    await page.getByRole('button', { name: 'Verification' }).click();
    await page.locator('#head-verdict.ok').waitFor();
    expect(await page.locator('#head-verdict').innerText()).toContain(`signed by pinned key ${signer.keyId}`);
    await ctx.close();
  });

  it('is readable on a phone: no horizontal scrolling, the verdict and fields stack', async () => {
    const { ctx, page } = await open({ width: 390, height: 844 });
    await signIn(page);
    await pinKeysFile(page);
    await search(page, { case_id: 'case-7' });
    await shot(page, 'phone-search');
    await page.locator('#results tr[data-ref="loan/2"]').click();
    await page.locator('#verdict.ok').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shot(page, 'phone-event');
    await ctx.close();
  });
});
