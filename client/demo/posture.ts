import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chainVerificationWorkflow } from '../../contracts/verification';
import { DEFAULT_RETENTION_CONFIG } from '../../core/retention';
import { createLedger } from '../../ledger/ledger';
import { loadSigner, readPinnedKeys, trustPaths } from '../../ledger/keys';
import { alarmWebhook } from '../../runtime/config';
import { runPostureCheck } from '../../services/posture/check';
import { publishHead, WitnessConflictError } from '../../services/witness/publish';
import { directoryWitness } from '../../services/witness/store';
import { requirePrincipal } from '../../services/principals/principals';
import { syncPolicies } from '../../services/retention/policies';
import { startAuthorizedWorkflow } from '../../services/principals/workflow-starts';
import { SCHEDULE_NAMES, installSchedulesAs, scheduleId } from '../commands/schedules';
import type { DemoScenario } from './types';

/**
 * Compliance posture on the embedded defaults: what an operator does after setup (`retention
 * policies --apply`, `schedules install`, one chain verification), then every control checked
 * against the live system as the demo's admin, after publishing the signed head to the witness (the `ledgerflow posture` code path), one line per
 * control and the summary. A failing control is shown, not fatal: the signed report and any alarm
 * are in the ledger either way. Re-running changes no policy and leaves the schedules unchanged.
 */
export const postureScenario: DemoScenario = {
  name: 'posture: check every compliance control against the live system, signed report in the ledger',
  async run({ config, client, taskQueue, writer, admin, schedulePrefix, log }) {
    const principal = await requirePrincipal(writer, admin, 'posture.check');
    const signer = loadSigner(config, log);
    const ledger = createLedger(writer, { signer, checkpointEvery: config.LEDGERFLOW_CHECKPOINT_EVERY });
    const policies = await syncPolicies(ledger, DEFAULT_RETENTION_CONFIG, {
      changedBy: (await requirePrincipal(writer, admin, 'policy.change')).id,
      reason: 'demo: embedded default retention policies',
    });
    log(`retention policies: ${policies.changes.length} changed (embedded defaults)`);
    const installer = (await requirePrincipal(writer, admin, 'schedule.manage')).id;
    const installed = await installSchedulesAs(
      { client, ledger },
      { taskQueue, prefix: schedulePrefix },
      installer,
    );
    log(`schedules: ${installed.map((s) => `${s.scheduleId} ${s.outcome}`).join(', ')}`);
    const verifier = (await requirePrincipal(writer, admin, 'ledger.verify')).id;
    const verification = await startAuthorizedWorkflow(
      { client, ledger },
      { principalId: verifier, action: 'ledger.verify' },
      chainVerificationWorkflow,
      { taskQueue, workflowId: `demo-verification-${randomUUID()}`, args: [{ requestedBy: verifier }] },
    );
    const verified = await verification.result();
    log(`chain verification: ${verified.ok ? 'valid' : 'INVALID'}, ${verified.eventsChecked} events checked`);
    // The embedded default keeps the witness in the data dir: outside the database (what a DBA can
    // rewrite), not outside this host; production points LEDGERFLOW_WITNESS_DIR elsewhere.
    const witnessDir = config.LEDGERFLOW_WITNESS_DIR ?? path.join(config.dataDir, 'witness');
    mkdirSync(witnessDir, { recursive: true });
    const witness = directoryWitness(witnessDir);
    const pub = await publishHead({ ledger, store: witness, trustedKeys: readPinnedKeys(config) }).catch(
      (err: Error) => {
        if (!(err instanceof WitnessConflictError)) throw err;
        log(`witness: ${err.message}`);
        return null;
      },
    );
    if (pub)
      log(
        `witness: head version ${pub.head.version} ${pub.published ? 'published to' : 'already in'} ${witness.location}`,
      );
    const out = await runPostureCheck(
      {
        ledger,
        signer,
        temporal: client,
        signingKeyFile: trustPaths(config).signingKeyFile,
        webhook: alarmWebhook(config),
        witness,
      },
      {
        requestedBy: principal.id,
        reportKey: `posture:demo:${randomUUID()}`,
        settings: {
          keyRotationDays: config.LEDGERFLOW_KEY_ROTATION_DAYS,
          witnessMaxAgeHours: config.LEDGERFLOW_WITNESS_MAX_AGE_HOURS,
          schedules: SCHEDULE_NAMES.map((n) => scheduleId(n, schedulePrefix)),
          retentionSchedule: scheduleId('retention', schedulePrefix),
        },
      },
    );
    const width = Math.max(...out.report.results.map((r) => r.control.id.length));
    for (const r of out.report.results)
      log(`  ${r.status.toUpperCase().padEnd(5)} ${r.control.id.padEnd(width)}  ${r.detail}`);
    const { pass, fail, error } = out.report.summary;
    log(
      `posture ${out.report.ok ? 'OK' : 'FAILING'}: ${pass} pass, ${fail} fail, ${error} error; ` +
        `signed report at ${out.recorded.stream}#${out.recorded.seq} (key ${out.recorded.key_id})`,
    );
    for (const a of out.alarms) log(`alarm ${a.state}: ${a.alarm_id} (${a.ledger.stream}#${a.ledger.seq})`);
    for (const u of out.undelivered) log(`alarm webhook: ${u.error}`);
  },
};
