import type { Command } from 'commander';
import { runWorkerProcess } from '../../worker/main';
import { action } from '../run-command';

export function register(program: Command): void {
  program
    .command('worker')
    .description('run a ledgerflow worker (all workflows and activities) until Ctrl-C')
    .action(action(() => runWorkerProcess()));
}
