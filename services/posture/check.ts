import type { Client } from '@temporalio/client';
import type { AlarmChange } from '../../core/posture/alarms';
import { PostureSettingsSchema, type PostureSettingsInput } from '../../core/posture/settings';
import type { PostureReport } from '../../core/posture/types';
import type { Signer } from '../../core/signing';
import type { Ledger } from '../../ledger/ledger';
import { planAlarms, recordAlarmChange, type AlarmDelivery } from './alarms';
import { recordPostureReport, type RecordedReport } from './report';
import { runPosture } from './run';
import { deliverAlarm, type AlarmWebhook } from './webhook';
import type { WitnessStore } from '../witness/store';

export interface PostureCheckDeps {
  ledger: Ledger;
  signer: Signer;
  temporal?: Client;
  signingKeyFile?: string;
  webhook?: AlarmWebhook;
  /** The external witness the witness control reads. */
  witness?: WitnessStore;
}

export interface PostureCheckOutcome {
  report: PostureReport;
  recorded: RecordedReport;
  alarms: AlarmDelivery[];
  /** Deliveries that did not reach the webhook (the alarm events are recorded regardless). */
  undelivered: Array<{ delivery_id: string; error: string }>;
}

/**
 * One posture check outside Temporal (the CLI): checks every control, stores the signed report,
 * records alarm firings and resolutions, and sends them to the webhook when one is configured.
 */
export async function runPostureCheck(
  deps: PostureCheckDeps,
  input: { requestedBy: string; reportKey: string; settings?: PostureSettingsInput },
): Promise<PostureCheckOutcome> {
  const settings = PostureSettingsSchema.parse(input.settings ?? {});
  const db = deps.ledger.db;
  const now = new Date().toISOString();
  const report = await runPosture(
    {
      db,
      settings,
      now,
      temporal: deps.temporal,
      signer: deps.signer,
      signingKeyFile: deps.signingKeyFile,
      witness: deps.witness,
    },
    { requestedBy: input.requestedBy },
  );
  const actor = { type: 'user' as const, id: input.requestedBy };
  const recorded = await recordPostureReport(deps, report, {
    actor,
    idempotencyKey: input.reportKey,
    context: { request: { source: 'cli' } },
  });
  const changes: AlarmChange[] = await planAlarms({
    db,
    settings,
    asOf: now,
    temporal: deps.temporal,
    signingKeyFile: deps.signingKeyFile,
    keyId: deps.signer.keyId,
    postureFailures: report.results
      .filter((r) => r.status !== 'pass')
      .map((r) => ({ id: r.control.id, detail: r.detail })),
  });
  const alarms: AlarmDelivery[] = [];
  const undelivered: PostureCheckOutcome['undelivered'] = [];
  for (const c of changes) {
    const d = await recordAlarmChange(deps.ledger, c, { actor, context: { request: { source: 'cli' } } });
    alarms.push(d);
    if (deps.webhook)
      await deliverAlarm(deps.webhook, d).catch((err: Error) =>
        undelivered.push({ delivery_id: d.delivery_id, error: err.message }),
      );
  }
  return { report, recorded, alarms, undelivered };
}
