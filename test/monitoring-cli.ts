import { Command } from 'commander';
import { inject, vi } from 'vitest';
import * as alerts from '../client/commands/alerts';
import * as rules from '../client/commands/rules';
import * as tx from '../client/commands/tx';
import type { TestDatabase } from './helpers';

/**
 * Runs the monitoring CLI commands in-process against `t` (they are registered by the lead in
 * client/commands/index.ts; this builds a program with just these modules). Captures stdout/stderr.
 */
export async function runCli(t: TestDatabase, args: string[], principal = 'mon-admin') {
  process.env.DATABASE_URL = t.ownerUrl;
  process.env.TEMPORAL_ADDRESS = inject('temporalAddress');
  process.env.LEDGERFLOW_PRINCIPAL = principal;
  const program = new Command().exitOverride();
  for (const m of [tx, alerts, rules]) m.register(program);
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
    out += String(c);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => {
    err += String(c);
    return true;
  });
  process.exitCode = 0;
  try {
    await program.parseAsync(['node', 'ledgerflow', ...args]);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  const code = process.exitCode;
  process.exitCode = 0;
  return { code, out, err };
}
