import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { describe, expect, it } from 'vitest';
import { historyFromJSON } from '../services/archive/history-json';
import { makeWorkflowExporter } from '@temporalio/interceptors-opentelemetry/lib/worker';
import { Resource } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { installRuntimeLogger, tracingWorkflowModules, workflowsPath } from '../worker/create-worker';
import { HISTORIES_DIR, WORKFLOW_IDS_FILE } from './support';

/**
 * The replay gate: every captured history (test/fixtures/histories, one per workflow type and
 * branch, captured by test/replay-capture.test.ts) must replay against today's workflow code,
 * bundled exactly as the production worker bundles it. A change that would break running
 * workflows fails here; put it behind patched() instead (docs/architecture.md, "Versioning").
 */
const files = readdirSync(HISTORIES_DIR)
  .filter((f) => f.endsWith('.json') && path.join(HISTORIES_DIR, f) !== WORKFLOW_IDS_FILE)
  .sort();

describe('replay gate', () => {
  it('has histories for every workflow type', () => {
    const types = new Set(
      files.map((f) => {
        const h = JSON.parse(readFileSync(path.join(HISTORIES_DIR, f), 'utf8')) as {
          events: Array<{ workflowExecutionStartedEventAttributes?: { workflowType: { name: string } } }>;
        };
        return h.events[0]?.workflowExecutionStartedEventAttributes?.workflowType.name;
      }),
    );
    expect([...types].sort()).toEqual([
      'alertInvestigation',
      'archiveClosedRuns',
      'archiveWorkflowHistory',
      'chainVerification',
      'loanOrigination',
      'onboardingSmoke',
      'retentionPurge',
      'screeningBatch',
      'screeningListUpdate',
    ]);
  });

  const replayFailures = async (options: Parameters<typeof Worker.runReplayHistories>[0]) => {
    installRuntimeLogger();
    const ids = JSON.parse(readFileSync(WORKFLOW_IDS_FILE, 'utf8')) as Record<string, string>;
    const histories = files.map((f) => ({
      workflowId: ids[f.replace(/\.json$/, '')] ?? f,
      history: historyFromJSON(readFileSync(path.join(HISTORIES_DIR, f), 'utf8')),
    }));
    const failures: string[] = [];
    for await (const r of Worker.runReplayHistories(options, histories)) {
      if (r.error) {
        const kind =
          r.error instanceof DeterminismViolationError || r.error.name === 'DeterminismViolationError'
            ? 'non-deterministic'
            : r.error.name;
        failures.push(`${r.workflowId}: ${kind}: ${r.error.message}`);
      }
    }
    return failures;
  };

  it('replays every captured history against the production workflow code', async () => {
    expect(await replayFailures({ workflowsPath })).toEqual([]);
  }, 120_000);

  it('replays them on a traced worker too: tracing can be turned on under running workflows', async () => {
    const processor = new SimpleSpanProcessor(new InMemorySpanExporter());
    const traced = await replayFailures({
      workflowsPath,
      interceptors: { workflowModules: tracingWorkflowModules },
      sinks: { exporter: makeWorkflowExporter(processor, new Resource({ 'service.name': 'replay' })) },
    });
    expect(traced).toEqual([]);
  }, 180_000);
});
