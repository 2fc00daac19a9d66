import { createHash, randomUUID } from 'node:crypto';
// Types only: the SDK loads with the Temporal connection, not with the command's --help.
import type {
  Client,
  ScheduleOverlapPolicy,
  ScheduleDescription,
  ScheduleOptions,
  ScheduleOptionsStartWorkflowAction,
} from '@temporalio/client';
import type { Command } from 'commander';
import pg from 'pg';
import { retentionPurgeWorkflow, type RetentionPurgeInput } from '../../contracts/retention';
import { chainVerificationWorkflow, type ChainVerificationInput } from '../../contracts/verification';
import type { WorkflowArgs } from '../../contracts/workflow-ref';
import { lastVerificationOutcome } from '../../services/verification/state';
import { describeOpenAlarm, openAlarmDetails } from '../../services/posture/alarms';
import type { Database } from '../../db/client';
import { appRoleUrl } from '../../db/roles';
import type { Config } from '../../runtime/config';
import { InputError } from '../../runtime/errors';
import { withContext, type CommandContext } from '../context';
import { AS_HELP, resolvePrincipal } from '../principals';
import { info, printJson, printTable } from '../output';
import { EXIT, action } from '../run-command';
import { postureCheckWorkflow } from '../../contracts/posture';
import type { Ledger } from '../../ledger/ledger';
import { recordScheduleInstalled, scheduleInstaller } from '../../services/principals/workflow-starts';

/**
 * Temporal Schedules for the unattended compliance jobs: the retention purge (daily) and the
 * ledger chain verification (hourly). `install` is create-or-update and idempotent: the desired
 * definition's digest is kept in the schedule's note, so an unchanged install touches nothing.
 */

export type ScheduleName = 'retention' | 'verification' | 'posture';
export const SCHEDULE_NAMES: ScheduleName[] = ['retention', 'verification', 'posture'];

export interface ScheduleSettings {
  taskQueue: string;
  /** Schedule ids are `<prefix>-retention` and `<prefix>-verification`. */
  prefix?: string;
  retentionInput?: RetentionPurgeInput;
  verificationInput?: ChainVerificationInput;
  /** Daily retention time (UTC); default 02:30. */
  retentionAt?: { hour: number; minute: number };
  /** Verification interval; default 1 hour. */
  verificationEvery?: string;
  /** Posture check interval; default 1 hour. */
  postureEvery?: string;
}

export const scheduleId = (name: ScheduleName, prefix = 'ledgerflow') => `${prefix}-${name}`;

/** A schedule starting a workflow with `Args` (typed from its reference, see {@link scheduleDefinitions}). */
type Definition<Args extends unknown[] = unknown[]> = Omit<
  ScheduleOptions<ScheduleOptionsStartWorkflowAction<never>>,
  'scheduleId' | 'action'
> & {
  action: {
    type: 'startWorkflow';
    workflowType: string;
    args: Args;
    taskQueue: string;
    workflowId: string;
  };
};

/** The desired definitions (embedded defaults). */
export function scheduleDefinitions(s: ScheduleSettings): {
  retention: Definition<WorkflowArgs<typeof retentionPurgeWorkflow>>;
  verification: Definition<WorkflowArgs<typeof chainVerificationWorkflow>>;
  posture: Definition<WorkflowArgs<typeof postureCheckWorkflow>>;
} {
  const prefix = s.prefix ?? 'ledgerflow';
  const at = s.retentionAt ?? { hour: 2, minute: 30 };
  return {
    retention: {
      spec: { calendars: [{ hour: at.hour, minute: at.minute, comment: 'daily retention purge (UTC)' }] },
      action: {
        type: 'startWorkflow',
        workflowType: retentionPurgeWorkflow.name,
        args: [{ ...s.retentionInput }],
        taskQueue: s.taskQueue,
        workflowId: scheduleId('retention', prefix),
      },
      // A purge still running when the next day starts: skip that day (the next run catches up).
      policies: { overlap: 'SKIP', catchupWindow: '1 day', pauseOnFailure: false },
    },
    verification: {
      spec: { intervals: [{ every: s.verificationEvery ?? '1 hour' }] },
      action: {
        type: 'startWorkflow',
        workflowType: chainVerificationWorkflow.name,
        args: [{ ...s.verificationInput }],
        taskQueue: s.taskQueue,
        workflowId: scheduleId('verification', prefix),
      },
      // One verification waiting behind a running one is enough; a failure must not pause it.
      policies: { overlap: 'BUFFER_ONE', catchupWindow: '1 hour', pauseOnFailure: false },
    },
    posture: {
      spec: { intervals: [{ every: s.postureEvery ?? '1 hour' }] },
      action: {
        type: 'startWorkflow',
        workflowType: postureCheckWorkflow.name,
        args: [{}],
        taskQueue: s.taskQueue,
        workflowId: scheduleId('posture', prefix),
      },
      // A failing control fails the run (and raises alarms); the schedule keeps checking.
      policies: { overlap: 'SKIP', catchupWindow: '1 hour', pauseOnFailure: false },
    },
  };
}

const digestOf = (d: Definition) => createHash('sha256').update(JSON.stringify(d)).digest('hex').slice(0, 16);
const noteOf = (d: Definition) => `ledgerflow definition ${digestOf(d)}`;

export interface InstallResult {
  scheduleId: string;
  outcome: 'created' | 'updated' | 'unchanged';
}

/** Creates or updates both schedules; unchanged definitions are left alone. */
export async function installSchedules(client: Client, s: ScheduleSettings): Promise<InstallResult[]> {
  const defs = scheduleDefinitions(s);
  const out: InstallResult[] = [];
  for (const name of SCHEDULE_NAMES) {
    const def = defs[name];
    const id = scheduleId(name, s.prefix);
    const handle = client.schedule.getHandle(id);
    let current: ScheduleDescription | undefined;
    try {
      current = await handle.describe();
    } catch (err) {
      if ((err as Error).name !== 'ScheduleNotFoundError') throw err;
    }
    if (!current) {
      try {
        await client.schedule.create({ scheduleId: id, ...def, state: { note: noteOf(def) } });
        out.push({ scheduleId: id, outcome: 'created' });
        continue;
      } catch (err) {
        if ((err as Error).name !== 'ScheduleAlreadyRunning') throw err;
        current = await handle.describe(); // created concurrently: fall through to update
      }
    }
    const wanted = noteOf(def);
    const curNote = current.state.note ?? '';
    if (curNote === wanted || curNote.startsWith(`${wanted};`)) {
      out.push({ scheduleId: id, outcome: 'unchanged' });
      continue;
    }
    await handle.update((prev) => ({
      spec: def.spec,
      action: def.action,
      policies: def.policies,
      state: { paused: prev.state.paused, note: wanted },
    }));
    out.push({ scheduleId: id, outcome: 'updated' });
  }
  return out;
}

/**
 * Installs the schedules ({@link installSchedules}) as `principalId` (authorized for
 * schedule.manage) and records `schedule.installed` for each one created or updated, or whose
 * install the ledger has no record of: that record makes the principal the initiator of every run
 * the schedule starts (a schedule with no record starts runs that refuse to act).
 */
export async function installSchedulesAs(
  deps: { client: Client; ledger: Ledger },
  s: ScheduleSettings,
  principalId: string,
): Promise<InstallResult[]> {
  const results = await installSchedules(deps.client, s);
  for (const r of results)
    if (r.outcome !== 'unchanged' || !(await scheduleInstaller(deps.ledger.db, r.scheduleId)))
      await recordScheduleInstalled(deps.ledger, { ...r, principalId, requestId: randomUUID() });
  return results;
}

export interface ScheduleStatus {
  name: ScheduleName;
  scheduleId: string;
  installed: boolean;
  paused: boolean;
  next: string | null;
  actions: number;
  lastRun: { workflowId: string; runId: string; startedAt: string; status: string } | null;
  /** Non-zero when the last run failed (or, for verification, the ledger's last result is a failure). */
  status: number;
  detail: string;
}

/** State of both schedules, with the status of each one's latest run. */
export async function scheduleStatuses(
  client: Client,
  opts: { prefix?: string; db?: Database } = {},
): Promise<ScheduleStatus[]> {
  const out: ScheduleStatus[] = [];
  for (const name of SCHEDULE_NAMES) {
    const id = scheduleId(name, opts.prefix);
    let d: ScheduleDescription;
    try {
      d = await client.schedule.getHandle(id).describe();
    } catch (err) {
      if ((err as Error).name !== 'ScheduleNotFoundError') throw err;
      out.push({
        name,
        scheduleId: id,
        installed: false,
        paused: false,
        next: null,
        actions: 0,
        lastRun: null,
        status: 1,
        detail: 'not installed (run "ledgerflow schedules install")',
      });
      continue;
    }
    const last = d.info.recentActions[d.info.recentActions.length - 1];
    let lastRun: ScheduleStatus['lastRun'] = null;
    let status = 0;
    let detail = 'ok';
    if (last) {
      const w = last.action.workflow;
      const statusName = await client.workflow
        .getHandle(w.workflowId, w.firstExecutionRunId)
        .describe()
        .then(
          (desc) => desc.status.name as string,
          () => 'UNKNOWN (history no longer retained)',
        );
      lastRun = {
        workflowId: w.workflowId,
        runId: w.firstExecutionRunId,
        startedAt: last.takenAt.toISOString(),
        status: statusName,
      };
      if (['FAILED', 'TIMED_OUT', 'TERMINATED'].includes(statusName)) {
        status = 1;
        detail = `last run ${statusName}`;
      } else if (statusName === 'RUNNING') detail = 'running';
    } else detail = 'no run yet';
    if (name === 'verification' && opts.db) {
      const v = await lastVerificationOutcome(opts.db);
      if (v && !v.ok) {
        status = 1;
        detail = `ALERT: last verification failed (compliance#${v.seq} at ${v.at}): ${v.detail ?? ''}`;
      }
    }
    out.push({
      name,
      scheduleId: id,
      installed: true,
      paused: d.state.paused,
      next: d.info.nextActionTimes[0]?.toISOString() ?? null,
      actions: d.info.numActionsTaken,
      lastRun,
      status,
      detail: d.state.paused ? `paused; ${detail}` : detail,
    });
  }
  return out;
}

/**
 * `doctor` check: the last chain verification recorded in the ledger (read as ledgerflow_reader).
 */
export async function verificationCheck(
  config: Config,
  ownerUrl: string | undefined,
): Promise<Array<{ check: string; ok: boolean; detail: string; fix?: string }>> {
  if (!ownerUrl) return [];
  const c = new pg.Client({
    connectionString: appRoleUrl(config, ownerUrl, 'ledgerflow_reader'),
    connectionTimeoutMillis: 3000,
  });
  try {
    await c.connect();
    const v = await lastVerificationOutcome({ $client: c } as unknown as Database);
    if (!v)
      return [{ check: 'chain verification', ok: true, detail: 'no scheduled verification recorded yet' }];
    return [
      {
        check: 'chain verification',
        ok: v.ok,
        detail: v.ok
          ? `last verification ok (compliance#${v.seq}, ${v.at})`
          : `ALERT: last verification failed (compliance#${v.seq}, ${v.at}): ${v.detail ?? ''}`,
        fix: v.ok
          ? undefined
          : 'run "ledgerflow verify" to locate the fault; investigate before the next run',
      },
    ];
  } catch (err) {
    return [{ check: 'chain verification', ok: false, detail: `cannot read: ${(err as Error).message}` }];
  } finally {
    await c.end().catch(() => undefined);
  }
}

function nameArg(v: string): ScheduleName {
  if (!SCHEDULE_NAMES.includes(v as ScheduleName)) {
    throw new InputError(`unknown schedule "${v}" (one of ${SCHEDULE_NAMES.join(', ')})`);
  }
  return v as ScheduleName;
}

function isoArg(v: string, what: string): Date {
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new InputError(`${what}: "${v}" is not an ISO 8601 time`);
  return d;
}

/**
 * Authorizes the acting principal to manage schedules, runs `change`, then records it in the
 * ledger (stream `admin`) with the principal as actor.
 */
async function scheduleChange(
  ctx: CommandContext,
  as: string | undefined,
  verb: string,
  change: (client: Client) => Promise<{ scheduleId: string; detail?: Record<string, string> }[]>,
): Promise<void> {
  const by = await resolvePrincipal(ctx, as, 'schedule.manage');
  const changed = await change(await ctx.temporal());
  for (const c of changed)
    await ctx.ledger().append(
      {
        event_type: `schedule.${verb}`,
        actor: { type: 'user', id: by.id },
        resource: { type: 'schedule', id: c.scheduleId },
        action: verb,
        outcome: 'success',
        context: { request: { source: 'cli', request_id: randomUUID() } },
        payload: c.detail ?? {},
      },
      { stream: 'admin', idempotencyKey: `schedule:${c.scheduleId}:${verb}:${randomUUID()}` },
    );
}

export function register(program: Command): void {
  const sch = program
    .command('schedules')
    .description('Temporal Schedules for retention (daily) and chain verification (hourly)');

  sch
    .command('install')
    .description('create or update both schedules (idempotent)')
    .option('--as <principal>', AS_HELP)
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { as?: string; json?: boolean }) =>
        withContext({ temporal: true, quiet: opts.json }, async (ctx) => {
          const by = await resolvePrincipal(ctx, opts.as, 'schedule.manage');
          const r = await installSchedulesAs(
            { client: await ctx.temporal(), ledger: ctx.ledger() },
            { taskQueue: ctx.config.TEMPORAL_TASK_QUEUE },
            by.id,
          );
          if (opts.json) printJson(r);
          else printTable(r, { schedule: (x) => x.scheduleId, outcome: (x) => x.outcome });
        }),
      ),
    );

  sch
    .command('list')
    .description('state, next run and last run status; exit 1 when a last run failed or verification alerts')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { json?: boolean }) =>
        withContext({ temporal: true, quiet: opts.json }, async (ctx) => {
          const db = ctx.db('ledgerflow_reader');
          const rows = await scheduleStatuses(await ctx.temporal(), { db });
          const alarms = await openAlarmDetails(db);
          if (opts.json) printJson({ schedules: rows, alarms });
          else {
            printTable(rows, {
              schedule: (r) => r.scheduleId,
              paused: (r) => (r.installed ? (r.paused ? 'yes' : 'no') : ''),
              next: (r) => r.next,
              'last run': (r) => (r.lastRun ? `${r.lastRun.status} ${r.lastRun.startedAt}` : ''),
              status: (r) => r.status,
              detail: (r) => r.detail,
            });
            // Open alarms are warnings here: they do not change the exit code.
            info(
              alarms.length
                ? alarms.map((a) => `warning: ${describeOpenAlarm(a)}`).join('\n')
                : 'no open alarms',
            );
          }
          return rows.some((r) => r.status !== 0) ? EXIT.failed : EXIT.ok;
        }),
      ),
    );

  sch
    .command('trigger <name>')
    .description('run a schedule now (retention | verification)')
    .option('--as <principal>', AS_HELP)
    .action(
      action(async (name: string, opts: { as?: string }) =>
        withContext({ temporal: true }, async (ctx) => {
          const id = scheduleId(nameArg(name));
          await scheduleChange(ctx, opts.as, 'triggered', async (client) => {
            await client.schedule.getHandle(id).trigger();
            return [{ scheduleId: id }];
          });
          info(`triggered ${id}`);
        }),
      ),
    );

  for (const verb of ['pause', 'unpause'] as const) {
    sch
      .command(`${verb} <name>`)
      .description(`${verb} a schedule`)
      .option('--note <text>', 'why')
      .option('--as <principal>', AS_HELP)
      .action(
        action(async (name: string, opts: { note?: string; as?: string }) =>
          withContext({ temporal: true }, async (ctx) => {
            const id = scheduleId(nameArg(name));
            const note = opts.note ?? `${verb}d from the CLI`;
            await scheduleChange(ctx, opts.as, `${verb}d`, async (client) => {
              await client.schedule.getHandle(id)[verb](note);
              return [{ scheduleId: id, detail: { note } }];
            });
            info(`${verb}d ${id}`);
          }),
        ),
      );
  }

  sch
    .command('backfill <name>')
    .description('run the actions a schedule would have taken between --from and --to')
    .requiredOption('--from <iso>', 'start time')
    .requiredOption('--to <iso>', 'end time')
    .option('--overlap <policy>', 'skip | buffer_one | buffer_all | allow_all', 'buffer_all')
    .option('--as <principal>', AS_HELP)
    .action(
      action(async (name: string, opts: { from: string; to: string; overlap: string; as?: string }) => {
        const start = isoArg(opts.from, '--from');
        const end = isoArg(opts.to, '--to');
        if (end <= start) throw new InputError('--to must be after --from');
        const overlap = (
          {
            skip: 'SKIP',
            buffer_one: 'BUFFER_ONE',
            buffer_all: 'BUFFER_ALL',
            allow_all: 'ALLOW_ALL',
          } as Record<string, ScheduleOverlapPolicy>
        )[opts.overlap.toLowerCase()];
        if (!overlap) throw new InputError('--overlap must be skip, buffer_one, buffer_all or allow_all');
        return withContext({ temporal: true }, async (ctx) => {
          const id = scheduleId(nameArg(name));
          await scheduleChange(ctx, opts.as, 'backfilled', async (client) => {
            await client.schedule.getHandle(id).backfill({ start, end, overlap });
            return [{ scheduleId: id, detail: { from: start.toISOString(), to: end.toISOString() } }];
          });
          info(`backfill of ${id} from ${start.toISOString()} to ${end.toISOString()} requested`);
        });
      }),
    );
}
