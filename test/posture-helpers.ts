import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { SCHEDULE_NAMES, installSchedules, scheduleId } from '../client/commands/schedules';
import type { RetentionConfigInput } from '../core/retention';
import type { PostureSettingsInput } from '../core/posture/settings';
import type { Signer } from '../core/signing';
import type { Database } from '../db/client';
import { loadSigner, readPinnedKeys, trustPaths } from '../ledger/keys';
import { createLedger, type Ledger } from '../ledger/ledger';
import { loadConfig } from '../runtime/config';
import { syncPolicies } from '../services/retention/policies';
import { ensurePrincipal } from '../services/principals/principals';
import { runChainVerification } from '../services/verification/chain-verification';
import { recordVerification } from '../services/verification/record';
import { publishHead } from '../services/witness/publish';
import { directoryWitness, type WitnessStore } from '../services/witness/store';
import type { TestDatabase } from './helpers';
import type { TemporalTestEnv } from './temporal-helpers';

/** Covers every data class the config validator knows; payloads expire after 2 s so an overdue purge can be arranged. */
export const POSTURE_RETENTION_CONFIG: RetentionConfigInput = {
  legalMinimums: { ledger_payloads: 'PT1S', workflow_histories: 'PT1S' },
  policies: [
    {
      id: 'p-payloads',
      dataClasses: ['ledger_payloads'],
      period: 'PT2S',
      trigger: 'created',
      action: 'purge_payload',
      description: 'test',
    },
    {
      id: 'p-apps',
      dataClasses: ['loan_applications'],
      period: 'P1Y',
      trigger: 'created',
      action: 'delete',
      description: 'test',
    },
    {
      id: 'p-enrich',
      dataClasses: ['loan_enrichments'],
      period: 'P1Y',
      trigger: 'created',
      action: 'delete',
      description: 'test',
    },
    {
      id: 'p-hist',
      dataClasses: ['workflow_histories'],
      period: 'P1Y',
      trigger: 'closed',
      action: 'delete',
      description: 'test',
    },
    {
      id: 'p-monitoring',
      dataClasses: ['transactions', 'alerts'],
      period: 'P5Y',
      trigger: 'created',
      action: 'delete',
      description: 'test',
    },
  ],
};

export interface HealthySystem {
  db: Database;
  ledger: Ledger;
  signer: Signer;
  signingKeyFile: string;
  prefix: string;
  settings: PostureSettingsInput;
  /** The external witness (a directory of its own), holding the head signed at setup. */
  witness: WitnessStore;
  /** Records a real chain verification (success on an untampered ledger). */
  verifyNow(): Promise<void>;
  deleteSchedules(): Promise<void>;
}

/**
 * A system in posture: a signing key of its own, every data class covered, a recorded successful
 * verification, both schedules installed (own prefix), one principal that just acted.
 */
export async function healthySystem(t: TestDatabase, temporal: TemporalTestEnv): Promise<HealthySystem> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-posture-'));
  process.env.LEDGERFLOW_DATA_DIR = dataDir;
  const config = loadConfig();
  const signer = loadSigner(config);
  const db = t.connect();
  const ledger = createLedger(db, { signer });
  await ensurePrincipal(db, 'alice', ['admin']);
  await syncPolicies(ledger, POSTURE_RETENTION_CONFIG, { changedBy: 'alice', reason: 'posture test' });
  await screeningPolicyVersion(t, 1, false);
  const prefix = `posture-${randomBytes(4).toString('hex')}`;
  await installSchedules(temporal.client, { taskQueue: temporal.taskQueue, prefix });
  const verifyNow = async () => {
    const deps = { db, pinnedKeys: () => readPinnedKeys(config) };
    const result = await runChainVerification(deps, {}, () => undefined);
    const key = `test-verify-${randomBytes(4).toString('hex')}`;
    await recordVerification(
      { ledger },
      { result, requestedBy: 'alice' },
      {
        actorId: 'test',
        workflowId: key,
        runId: key,
        step: (s) => ({ context: {}, idempotencyKey: `${key}:${s}` }),
      },
    );
  };
  await verifyNow();
  const witnessDir = path.join(dataDir, 'witness');
  mkdirSync(witnessDir);
  const witness = directoryWitness(witnessDir);
  await publishHead({ ledger, store: witness, trustedKeys: readPinnedKeys(config) });
  return {
    witness,
    db,
    ledger,
    signer,
    signingKeyFile: trustPaths(config).signingKeyFile,
    prefix,
    settings: {
      schedules: [scheduleId('retention', prefix), scheduleId('verification', prefix)],
      retentionSchedule: scheduleId('retention', prefix),
    },
    verifyNow,
    async deleteSchedules() {
      for (const n of SCHEDULE_NAMES)
        await temporal.client.schedule
          .getHandle(scheduleId(n, prefix))
          .delete()
          .catch(() => undefined);
    },
  };
}

/**
 * The screening_results policy is written directly (as a DBA would) so a test can retire it without
 * touching the config-managed policies.
 */
export async function screeningPolicyVersion(
  t: TestDatabase,
  version: number,
  retired: boolean,
): Promise<void> {
  await t.asOwner(
    `INSERT INTO retention_policies (policy_id, version, data_classes, period_seconds, period, trigger, action, retired, changed_by, reason)
     VALUES ('p-screen', $1, '{screening_results}', 31536000, 'P1Y', 'created', 'delete', $2, 'alice', 'posture test')`,
    [version, retired],
  );
}

/** Runs `fn` with a pool-like view of one owner connection inside a transaction that is rolled back. */
export async function inRolledBackOwnerTx<T>(
  t: TestDatabase,
  arrange: string,
  fn: (db: Database) => Promise<T>,
): Promise<T> {
  const c = new pg.Client({ connectionString: t.ownerUrl });
  await c.connect();
  try {
    await c.query('BEGIN');
    await c.query(arrange);
    return await fn({ $client: c } as unknown as Database);
  } finally {
    await c.query('ROLLBACK').catch(() => undefined);
    await c.end();
  }
}

/** Polls `check` until it returns a value (not undefined) or the timeout passes. */
export async function waitFor<T>(
  check: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
