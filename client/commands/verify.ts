import type { Command } from 'commander';

/** `ledgerflow verify [...]`: shortcut for `ledgerflow ledger verify [...]` (same options). */
export function register(program: Command): void {
  program
    .command('verify')
    .description('shortcut for "ledger verify" (exit 0 valid, 1 invalid, 2 cannot run)')
    .helpOption(false)
    .allowUnknownOption()
    .argument('[args...]', 'options of "ledger verify" (--stream, --from, --trusted-keys, --json ...)')
    .action(async (args: string[]) => {
      const target = program.commands
        .find((c) => c.name() === 'ledger')
        ?.commands.find((c) => c.name() === 'verify');
      if (!target) {
        process.stderr.write('error: "ledger verify" is not available in this build\n');
        process.exitCode = 2;
        return;
      }
      await target.parseAsync(args, { from: 'user' });
    });
}
