import type { Command } from 'commander';
import { applyCommandAuthority } from '../command-authority';
import { register as registerLedger } from './ledger';

/** `ledgerflow verify [...]`: shortcut for `ledgerflow ledger verify [...]` (same options). */
export function register(program: Command): void {
  program
    .command('verify')
    .description('shortcut for "ledger verify" (exit 0 valid, 1 invalid, 2 cannot run)')
    .helpOption(false)
    .allowUnknownOption()
    .argument('[args...]', 'options of "ledger verify" (--stream, --from, --trusted-keys, --json ...)')
    .action(async (args: string[]) => {
      const find = () =>
        program.commands.find((c) => c.name() === 'ledger')?.commands.find((c) => c.name() === 'verify');
      // Commands load lazily: running `verify` loaded only this module, not `ledger`.
      if (!find()) {
        registerLedger(program);
        applyCommandAuthority(program); // its reads take --as like any other read
      }
      await find()!.parseAsync(args, { from: 'user' });
    });
}
