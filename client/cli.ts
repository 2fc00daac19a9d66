import { Command } from 'commander';
import { registerAll } from './commands';

/** The `ledgerflow` command line. */
export function buildProgram(): Command {
  const program = new Command('ledgerflow')
    .description('Durable compliance jobs on Temporal with a tamper-evident PostgreSQL audit ledger')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (str, write) => write(str) });
  program.exitOverride((err) => {
    // Usage errors exit 2; --help and --version exit 0.
    process.exit(err.exitCode === 0 ? 0 : 2);
  });
  registerAll(program);
  return program;
}

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
