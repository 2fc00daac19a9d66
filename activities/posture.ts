import { Context, heartbeat } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { AlarmChange } from '../core/posture/alarms';
import { PostureSettingsSchema, type PostureSettingsInput } from '../core/posture/settings';
import type { Signer } from '../core/signing';
import type { Ledger } from '../ledger/ledger';
import { planAlarms, recordAlarmChange, type AlarmDelivery } from '../services/posture/alarms';
import { recordPostureReport } from '../services/posture/report';
import { runPosture } from '../services/posture/run';
import { deliverAlarm, type AlarmWebhook } from '../services/posture/webhook';
import type { WitnessStore } from '../services/witness/store';
import { initiatedStamp, workflowInitiator } from './initiator';

/** What the posture activities need beyond the ledger and signer (from the worker's config). */
export interface PostureActivityDeps {
  /** The signing key file whose mtime is the key's age (default: the ledger's key registration time). */
  signingKeyFile?: string;
  /** Where alarms are sent (LEDGERFLOW_ALARM_WEBHOOK_URL / _SECRET); absent: recorded only. */
  webhook?: AlarmWebhook;
  /** Threshold defaults for this worker; the workflow input overrides them. */
  settings?: PostureSettingsInput;
}

/** The worker's own client (schedule probes); undefined when the context has none. */
function workerClient(): Client | undefined {
  try {
    return Context.current().client;
  } catch {
    return undefined;
  }
}

/** Activities of the `postureCheck` workflow: thin adapters over services/posture. */
export function createPostureActivities(deps: {
  ledger: Ledger;
  signer: Signer;
  posture?: PostureActivityDeps;
  witness?: WitnessStore;
}) {
  const settingsOf = (over: PostureSettingsInput = {}) =>
    PostureSettingsSchema.parse({ ...deps.posture?.settings, ...over });
  return {
    /**
     * Checks every control and stores the signed report in the ledger (once per run), requested by
     * the workflow's authorized initiator (the input's, if any, must match it).
     */
    async postureReport(input: { requestedBy?: string; at: string; settings?: PostureSettingsInput }) {
      const stamp = await initiatedStamp(deps.ledger.db, 'postureCheck', input.requestedBy);
      const report = await runPosture(
        {
          db: deps.ledger.db,
          settings: settingsOf(input.settings),
          now: input.at,
          temporal: workerClient(),
          signer: deps.signer,
          signingKeyFile: deps.posture?.signingKeyFile,
          witness: deps.witness,
        },
        { requestedBy: stamp.initiatedBy, onEach: () => heartbeat() },
      );
      const step = stamp.step('posture-report');
      const recorded = await recordPostureReport(deps, report, {
        actor: { type: 'workflow', id: stamp.actorId },
        idempotencyKey: step.idempotencyKey,
        context: step.context,
      });
      return {
        recorded,
        ok: report.ok,
        summary: report.summary,
        failing: report.results
          .filter((r) => r.status !== 'pass')
          .map((r) => ({ id: r.control.id, status: r.status, detail: r.detail })),
      };
    },

    /** The alarm firings and resolutions the live signals imply (reads only). */
    async alarmPlan(input: {
      asOf: string;
      settings?: PostureSettingsInput;
      postureFailures: Array<{ id: string; detail: string }>;
    }): Promise<AlarmChange[]> {
      await workflowInitiator(deps.ledger.db);
      return planAlarms({
        db: deps.ledger.db,
        settings: settingsOf(input.settings),
        asOf: input.asOf,
        temporal: workerClient(),
        signingKeyFile: deps.posture?.signingKeyFile,
        keyId: deps.signer.keyId,
        postureFailures: input.postureFailures,
      });
    },

    /** Records one firing or resolution (idempotent per firing). */
    async alarmRecord(change: AlarmChange): Promise<AlarmDelivery> {
      const stamp = await initiatedStamp(deps.ledger.db, 'postureCheck');
      const id = change.state === 'fired' ? change.condition.alarm_id : change.alarm_id;
      return recordAlarmChange(deps.ledger, change, {
        actor: { type: 'workflow', id: stamp.actorId },
        context: stamp.step(`alarm-${change.state}-${id}`).context,
      });
    },

    /** Sends one delivery to the webhook; a failure throws and the retry policy retries it. */
    async alarmDeliver(delivery: AlarmDelivery): Promise<{ delivered: boolean }> {
      if (!deps.posture?.webhook) return { delivered: false };
      await workflowInitiator(deps.ledger.db);
      await deliverAlarm(deps.posture.webhook, delivery);
      return { delivered: true };
    },
  };
}
