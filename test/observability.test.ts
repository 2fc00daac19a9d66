import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCli,
  sampleApplication,
  spawnWorkerProcess,
  startOtlpReceiver,
  useLoanTestEnv,
  waitFor,
  type OtlpReceiver,
  type ReceivedSpan,
} from './support';

const env = useLoanTestEnv();
/** Distinctive enough that any occurrence in logs or spans is a leak, not a coincidence. */
const APPLICANT = 'Quillon Vasquez-Thornbury';

let receiver: OtlpReceiver;
let worker: ChildProcess | undefined;
let workerLog = '';

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  worker = spawnWorkerProcess({
    databaseUrl: env.t.ownerUrl,
    temporalAddress: env.temporal.address,
    taskQueue: env.temporal.taskQueue,
    env: {
      LEDGERFLOW_REGISTRY_URL: env.providers.urls.registryUrl,
      LEDGERFLOW_BUREAU_URL: env.providers.urls.bureauUrl,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      LEDGERFLOW_LOG_FORMAT: 'json',
      // The most talkative level an operator would set: every workflow and activity line.
      LEDGERFLOW_LOG_LEVEL: 'debug',
    },
  });
  worker.stderr?.on('data', (c: Buffer) => (workerLog += c.toString('utf8')));
});
afterAll(async () => {
  if (worker && worker.exitCode === null) {
    const exited = new Promise((r) => worker!.once('exit', r));
    worker.kill('SIGTERM');
    await exited;
  }
  await receiver?.close();
});

const cli = createCli(() => ({
  env: {
    DATABASE_URL: env.t.ownerUrl,
    TEMPORAL_ADDRESS: env.temporal.address,
    TEMPORAL_TASK_QUEUE: env.temporal.taskQueue,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    LEDGERFLOW_PRINCIPAL: undefined,
  },
  timeoutMs: 240_000,
}));

describe('traces and logs of one loan (CLI process → worker process → collector)', () => {
  let runId = '';

  it(
    'one trace spans the CLI start, the workflow, its activities and their SQL',
    { timeout: 300_000 },
    async () => {
      const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'lf-otel-')), 'application.json');
      const application = sampleApplication('app-otel');
      writeFileSync(
        file,
        JSON.stringify({ ...application, applicant: { ...application.applicant, fullName: APPLICANT } }),
      );
      const r = await cli(['loan', 'start', '--file', file, '--as', 'op-1', '--json']);
      expect(r.code, r.stderr).toBe(0);
      runId = (JSON.parse(r.stdout) as { runId: string }).runId;
      // Waited for here, not with --wait: its queries can time out while the worker still bundles.
      const result = (await env.client.workflow.getHandle('app-otel', runId).result()) as { status: string };
      expect(result.status).toBe('approved');

      const byName = (name: string) => receiver.spans.filter((s) => s.name === name);
      const childrenOf = (parent: ReceivedSpan | undefined, prefix: string) =>
        parent
          ? receiver.spans.filter((s) => s.parentSpanId === parent.spanId && s.name.startsWith(prefix))
          : [];
      // The loan's activities: scheduled by its workflow span, each run under its scheduling span.
      // (The history archiver it starts continues the same trace under spans of its own.)
      const loan = () => {
        const [run] = byName('RunWorkflow:loanOrigination');
        const runs = childrenOf(run, 'StartActivity:').flatMap((started) =>
          childrenOf(started, 'RunActivity:').filter((a) => a.name.slice(12) === started.name.slice(14)),
        );
        return { run, runs, sql: runs.flatMap((a) => childrenOf(a, 'pg ')) };
      };
      // The CLI exported at exit; the worker exports in batches, the workflow span once it ends.
      await waitFor(
        () => loan().runs.length >= 3 && loan().sql.length > 0,
        90_000,
        'the workflow span, three activity spans under it and SQL under one of them',
      );

      const [root] = byName('ledgerflow loan start');
      expect(root?.service).toBe('ledgerflow-cli');
      const [start] = byName('StartWorkflow:loanOrigination');
      expect(start).toMatchObject({
        service: 'ledgerflow-cli',
        traceId: root!.traceId,
        parentSpanId: root!.spanId,
      });
      const { run, runs, sql } = loan();
      expect(run).toMatchObject({
        service: 'ledgerflow-worker',
        traceId: root!.traceId,
        parentSpanId: start!.spanId,
      });
      expect(new Set(runs.map((a) => a.traceId))).toEqual(new Set([root!.traceId]));
      expect(new Set(sql.map((a) => a.traceId))).toEqual(new Set([root!.traceId]));
      expect(sql[0]!.attributes).toMatchObject({ 'db.system': 'postgresql', 'db.name': env.t.name });
      // The CLI's own writes (the application record) are in the same trace, under its root span.
      expect(childrenOf(root, 'pg ').length).toBeGreaterThan(0);
      // Bound values never reach a span (SQL text only, literals redacted).
      expect(receiver.bodies.join('\n')).not.toContain(APPLICANT);
      expect(receiver.bodies.join('\n')).not.toContain(application.applicant.email);
    },
  );

  it('the worker logs JSON lines with workflow id, run id and activity type, and never the applicant', async () => {
    expect(runId).not.toBe('');
    const lines = () =>
      workerLog
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    await waitFor(
      () => lines().some((l) => l.msg === 'Workflow completed' && l.runId === runId),
      60_000,
      'the loan workflow completion in the worker log',
    );
    const ofLoan = lines().filter((l) => l.workflowId === 'app-otel' && l.runId === runId);
    expect(ofLoan.some((l) => l.msg === 'Workflow started' && l.workflowType === 'loanOrigination')).toBe(
      true,
    );
    const activityTypes = new Set(
      ofLoan.filter((l) => l.msg === 'Activity completed').map((l) => l.activityType),
    );
    expect(activityTypes.size).toBeGreaterThanOrEqual(3);
    expect(lines().every((l) => l.service === 'ledgerflow-worker' && typeof l.level === 'number')).toBe(true);
    expect(workerLog).not.toContain('taskToken');
    expect(workerLog).not.toContain(APPLICANT);
    expect(workerLog).not.toContain('Vasquez');
  });
});
