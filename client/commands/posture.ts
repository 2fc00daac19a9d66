import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { renderPostureHtml } from '../../core/posture/html';
import { loadSigner, trustPaths } from '../../ledger/keys';
import { alarmWebhook } from '../../runtime/config';
import { InputError } from '../../runtime/errors';
import { runPostureCheck } from '../../services/posture/check';
import { configuredWitness } from '../../services/witness/store';
import { resolvePrincipal } from '../principals';
import { withContext } from '../context';
import { info, printJson, printTable } from '../output';
import { EXIT, action } from '../run-command';
import { SCHEDULE_NAMES, scheduleId } from './schedules';

interface PostureOptions {
  as?: string;
  schedulePrefix: string;
  json?: boolean;
  html?: string;
}

/**
 * `ledgerflow posture`: checks every control against the live system, stores the signed report in
 * the ledger (stream `compliance`), raises or resolves alarms; exit 1 when a control fails.
 */
export function register(program: Command): void {
  program
    .command('posture')
    .description(
      'check the compliance controls against the live system; signed report in the ledger (exit 1 on a failing control)',
    )
    .option('--as <principal>', 'acting principal (or LEDGERFLOW_PRINCIPAL)')
    .option('--json', 'print the report as JSON')
    .option('--html <file>', 'write the report as an HTML page to <file>')
    .option(
      '--schedule-prefix <prefix>',
      'schedule ids checked: <prefix>-retention, <prefix>-verification',
      'ledgerflow',
    )
    .action(
      action(async (opts: PostureOptions) => {
        if (opts.json && opts.html) throw new InputError('--json and --html are exclusive: pick one');
        return withContext({ temporal: true, quiet: opts.json }, async (ctx) => {
          const principal = await resolvePrincipal(ctx, opts.as, 'posture.check');
          const temporal = await ctx.temporal().catch(() => undefined);
          const out = await runPostureCheck(
            {
              ledger: ctx.ledger(),
              signer: loadSigner(ctx.config, info),
              temporal,
              signingKeyFile: trustPaths(ctx.config).signingKeyFile,
              webhook: alarmWebhook(ctx.config),
              witness: configuredWitness(ctx.config),
            },
            {
              requestedBy: principal.id,
              reportKey: `posture:cli:${randomUUID()}`,
              settings: {
                keyRotationDays: ctx.config.LEDGERFLOW_KEY_ROTATION_DAYS,
                witnessMaxAgeHours: ctx.config.LEDGERFLOW_WITNESS_MAX_AGE_HOURS,
                schedules: SCHEDULE_NAMES.map((n) => scheduleId(n, opts.schedulePrefix)),
                retentionSchedule: scheduleId('retention', opts.schedulePrefix),
              },
            },
          );
          if (opts.json) printJson(out);
          else {
            printTable(out.report.results, {
              control: (r) => r.control.id,
              status: (r) => r.status.toUpperCase(),
              detail: (r) => r.detail,
            });
            info(
              `posture ${out.report.ok ? 'OK' : 'FAILING'}: ${out.report.summary.pass} pass, ${out.report.summary.fail} fail, ` +
                `${out.report.summary.error} error; signed report at ${out.recorded.stream}#${out.recorded.seq} (key ${out.recorded.key_id})`,
            );
            for (const a of out.alarms)
              info(`alarm ${a.state}: ${a.alarm_id} (${a.ledger.stream}#${a.ledger.seq})`);
            for (const u of out.undelivered) info(`alarm webhook: ${u.error}`);
          }
          if (opts.html) {
            writeFileSync(opts.html, renderPostureHtml(out.report, out.recorded));
            if (!opts.json) info(`wrote ${opts.html}`);
          }
          return out.report.ok ? EXIT.ok : EXIT.failed;
        });
      }),
    );
}
