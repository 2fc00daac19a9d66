import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTimeline, replayHistory } from '../client/history';
import { useLoanTestEnv, createCli, sampleApplication } from './support';

const env = useLoanTestEnv();

const cli = createCli(() => ({
  env: {
    DATABASE_URL: env.t.ownerUrl,
    TEMPORAL_ADDRESS: env.temporal.address,
    TEMPORAL_TASK_QUEUE: env.temporal.taskQueue,
  },
}));

describe('provenance: archived history, sealed digest, replay, joined timeline', () => {
  it('archives the closed history, seals its digest in the ledger, replays it and joins it with the ledger', async () => {
    const { stop } = await env.startWorker();
    try {
      const sub = await env.submit(sampleApplication('app-prov'));
      await sub.handle.result();
      let row:
        { history: string; digest_sha256: string; ledger_seq: number; event_count: number } | undefined;
      for (let i = 0; i < 100 && !row; i++) {
        row = (await env.t.asOwner(`SELECT * FROM workflow_histories WHERE workflow_id = 'app-prov'`))
          .rows[0] as never;
        if (!row) await new Promise((r) => setTimeout(r, 200));
      }
      expect(row).toBeDefined();
      expect(createHash('sha256').update(row!.history).digest('hex')).toBe(row!.digest_sha256);
      const last = (JSON.parse(row!.history) as { events: Array<{ eventType: string }> }).events.at(-1);
      expect(last?.eventType).toBe('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
      const seal = await env.t.asOwner(
        `SELECT resource_id, context->>'run_id' AS run_id FROM ledger_events WHERE stream = 'provenance' AND seq = $1`,
        [row!.ledger_seq],
      );
      expect(seal.rows[0]).toEqual({ resource_id: `sha256:${row!.digest_sha256}`, run_id: sub.runId });

      // Replay from Temporal, from the archive alone, and from an exported file.
      await replayHistory({ db: env.db, client: env.client }, 'app-prov');
      const archivedOnly = await replayHistory({ db: env.db }, 'app-prov');
      expect(archivedOnly.origin).toBe('archive');
      const dir = mkdtempSync(path.join(os.tmpdir(), 'lf-hist-'));
      const file = path.join(dir, 'app-prov.json');
      writeFileSync(file, row!.history);
      expect((await replayHistory({ db: env.db }, file)).origin).toBe('file');
      // The replay gate catches code that no longer matches the history.
      const tampered = path.join(dir, 'tampered.json');
      writeFileSync(tampered, row!.history.replace(/"name": ?"loanOrigination"/, '"name":"onboardingSmoke"'));
      await expect(replayHistory({ db: env.db }, tampered)).rejects.toMatchObject({
        name: 'DeterminismViolationError',
        message: expect.stringMatching(/^Replay failed with a nondeterminism error/),
      });

      // The timeline joins both sources, live and archived.
      for (const deps of [{ db: env.db, client: env.client }, { db: env.db }]) {
        const t = await buildTimeline(deps, 'app-prov');
        const ledger = t.entries.filter((e) => e.source === 'ledger');
        const temporal = t.entries.filter((e) => e.source === 'temporal');
        expect(temporal).toHaveLength(row!.event_count);
        expect(ledger.map((e) => e.type)).toEqual(
          expect.arrayContaining(['loan.decision_made', 'workflow.history_archived']),
        );
        const decision = ledger.find((e) => e.type === 'loan.decision_made')!;
        const scheduled = temporal.find((e) => e.ref === decision.links[0]);
        expect(scheduled?.type).toBe('ActivityTaskScheduled');
        expect(scheduled?.detail).toMatch(/recordFinalDecision/);
      }

      await env.t.asOwner(
        `INSERT INTO principals (id, display_name, roles, created_by) VALUES ('aud-1', 'Auditor', '{auditor}', 'test')`,
      );
      const shown = await cli(['history', 'show', 'app-prov', '--json', '--as', 'aud-1']);
      expect(shown.code, shown.stderr).toBe(0);
      const json = JSON.parse(shown.stdout) as {
        entries: Array<{ source: string }>;
        archived: { digest: string };
      };
      expect(new Set(json.entries.map((e) => e.source))).toEqual(new Set(['temporal', 'ledger']));
      expect(json.archived.digest).toBe(row!.digest_sha256);

      const replayed = await cli(['history', 'replay', 'app-prov', '--as', 'aud-1']);
      expect(replayed.code, replayed.stderr).toBe(0);
      expect(replayed.stderr).toMatch(/replay ok/);

      // A decision on a finished application: the CLI says so plainly.
      const late = await cli([
        'loan',
        'review',
        'app-prov',
        '--approve',
        '--reason',
        'too late',
        '--as',
        'rev-1',
      ]);
      expect(late.code).toBe(1);
      expect(late.stderr).toMatch(/refused: application app-prov is already decided \(approved, by rules:/);
    } finally {
      await stop();
    }
  }, 85_000);
});
