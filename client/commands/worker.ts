/* eslint-disable @typescript-eslint/no-require-imports -- the worker loads in the action (see lazily()) */
import type { Command } from 'commander';
import type * as WorkerMain from '../../worker/main';
import { lazily } from '../lazy';
import { action } from '../run-command';

export function register(program: Command): void {
  program
    .command('worker')
    .description('run a ledgerflow worker (all workflows and activities) until Ctrl-C')
    .action(
      action(async () => {
        // Temporal's worker, tracing and the metrics server load here, not for --help.
        const { runWorkerProcess } = await lazily<typeof WorkerMain>(
          () => require('../../worker/main'),
          () => import('../../worker/main.js'),
        );
        return runWorkerProcess();
      }),
    );
}
