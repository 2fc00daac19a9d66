import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { Ledger } from '../ledger/ledger';
import type { Action } from '../services/principals/authorization';
import { AS_HELP, resolvePrincipal } from './principals';

/**
 * What authorizes each CLI command:
 * - `action`: the command itself resolves the principal (`--as` or LEDGERFLOW_PRINCIPAL) and
 *   checks it with authorize() where it writes (some writes are conditional: `--dry-run`,
 *   bootstrap);
 * - `read`: a read, checked here before the command touches any data (see {@link authorizeRead}),
 *   the same way for every read command; `record` reads are themselves ledger events;
 * - `local`: commands that read or change nothing another principal could claim, gated by the
 *   local credential named here (offline files, the data dir, starting local servers).
 * test/authorization-matrix.test.ts fails when a registered command has no entry.
 */
export type CommandAuthority = { action: Action } | { read: Action; record?: true } | { local: string };

const OPEN = 'starts or checks local servers; changes no record';

export const COMMAND_AUTHORITY: Record<string, CommandAuthority> = {
  dev: { local: `${OPEN} (adds the bootstrap admin only while no admin exists)` },
  worker: { local: 'runs ledgerflow’s own services with the writer database password' },
  demo: { local: `${OPEN} (adds the bootstrap admin only while no admin exists)` },
  doctor: { local: OPEN },
  'db migrate': { local: 'runs as the database owner: the owner password is the authority' },
  'events list': { read: 'audit.read', record: true },
  'api serve': { local: 'serves the API; every request is authorized by its key' },
  'api keys create': { action: 'api_key.manage' },
  'api keys list': { read: 'principal.read' },
  'api keys revoke': { action: 'api_key.manage' },
  'ledger append': { action: 'ledger.append' },
  'ledger verify': { read: 'ledger.verify' },
  'ledger checkpoint': {
    local:
      'seals existing events with the signing key in the data dir; --publish appends to a witness it can write',
  },
  'ledger prove': { read: 'ledger.verify' },
  'ledger consistency': { read: 'ledger.verify' },
  'ledger verify-proof': { local: 'offline: reads only its input files' },
  'ledger keys export': { local: 'prints public keys from the data dir' },
  'ledger keys rotate': { local: 'needs write access to the data dir holding the signing key' },
  'ledger export': { read: 'audit.read', record: true },
  'ledger verify-bundle': { local: 'offline: reads only its input files' },
  'ledger witness check': { read: 'ledger.verify' },
  'loan start': { action: 'loan.start' },
  'loan status': { read: 'loan.read', record: true },
  'loan review': { action: 'loan.review' },
  'loan list': { read: 'loan.read', record: true },
  'loan providers': { local: 'runs local provider simulators' },
  'principals add': { action: 'principal.manage' },
  'principals roles': { action: 'principal.manage' },
  'principals deactivate': { action: 'principal.manage' },
  'principals list': { read: 'principal.read' },
  'history show': { read: 'audit.read', record: true },
  'history replay': { read: 'audit.read', record: true },
  'history export': { read: 'audit.read', record: true },
  'history archive': { action: 'history.archive' },
  'hold place': { action: 'hold.place' },
  'hold release': { action: 'hold.release' },
  'hold list': { read: 'hold.read' },
  'retention policies': { action: 'policy.change' },
  'retention run': { action: 'retention.purge' },
  'schedules install': { action: 'schedule.manage' },
  'schedules list': { read: 'schedule.read' },
  'schedules trigger': { action: 'schedule.manage' },
  'schedules pause': { action: 'schedule.manage' },
  'schedules unpause': { action: 'schedule.manage' },
  'schedules backfill': { action: 'schedule.manage' },
  'lists load': { action: 'lists.load' },
  posture: { action: 'posture.check' },
  'tx ingest': { action: 'monitoring.ingest' },
  'tx publish': { action: 'monitoring.ingest' },
  'tx dead-letters': { action: 'alerts.read' },
  'alerts list': { action: 'alerts.read' },
  'alerts show': { action: 'alerts.read' },
  'alerts assign': { action: 'alerts.assign' },
  'alerts decide': { action: 'alerts.decide' },
  'alerts close': { action: 'alerts.close' },
  'alerts investigation': { action: 'alerts.read' },
  'rules list': { action: 'alerts.read' },
  'rules default': { local: 'prints the embedded default rule set; reads nothing' },
  'rules add': { action: 'rules.change' },
  'rules promote': { action: 'rules.change' },
  'rules replay': { action: 'alerts.read' },
  'lists status': { read: 'lists.read' },
  'screen name': { action: 'screening.run' },
  'screen file': { action: 'screening.run' },
  'screen false-positive': { action: 'screening.decide' },
  verify: { local: 'a shortcut: runs "ledger verify", which checks ledger.verify' },
};

/** A leaf command's path as in {@link COMMAND_AUTHORITY}, e.g. `ledger verify`. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** The read command about to run (noted by the hook of {@link applyCommandAuthority}). */
let pending: { path: string; as?: string; args: string[]; options: Record<string, unknown> } | undefined;
const applied = new WeakSet<Command>();

/**
 * Gives every registered `read` command its `--as` option, and notes which command runs (with
 * its `--as`) before its action, so that {@link authorizeRead} can check it. Call after the
 * command modules are registered.
 */
export function applyCommandAuthority(program: Command): void {
  const walk = (c: Command) => {
    for (const sub of c.commands) walk(sub);
    const authority = c.commands.length === 0 && c.parent ? COMMAND_AUTHORITY[commandPath(c)] : undefined;
    if (authority && 'read' in authority && !c.options.some((o) => o.long === '--as'))
      c.option('--as <principal>', AS_HELP);
  };
  walk(program);
  if (applied.has(program)) return;
  applied.add(program);
  program.hook('preAction', (_root, cmd) => {
    const { as, ...options } = cmd.opts<{ as?: string }>();
    pending = { path: commandPath(cmd), as, args: [...cmd.args], options };
  });
}

/**
 * The one check of every CLI read: when the running command is a `read` in
 * {@link COMMAND_AUTHORITY}, its principal (`--as`, else LEDGERFLOW_PRINCIPAL; never a default)
 * must be known, active and allowed the read's action, and a `record` read is itself a ledger
 * event (`cli.ledger_read`, stream `access`) before any data is read. A refusal is recorded as
 * every denial is. Runs once per command (withContext calls it before the command's work).
 */
export async function authorizeRead(ctx: { ledger(): Ledger }): Promise<void> {
  const run = pending;
  pending = undefined;
  const authority = run && COMMAND_AUTHORITY[run.path];
  if (!run || !authority || !('read' in authority)) return;
  const principal = await resolvePrincipal(ctx, run.as, authority.read);
  if (!authority.record) return;
  // One round trip (the one-trip append), committed before the command reads anything.
  await ctx.ledger().appendOneTrip(
    {
      event_type: 'cli.ledger_read',
      actor: { type: 'user', id: principal.id },
      resource: { type: 'cli_command', id: run.path },
      action: 'read',
      outcome: 'success',
      context: { request: { source: 'cli' } },
      // What was asked for (ids, filters) goes only in the purgeable payload.
      payload: {
        arguments: run.args,
        options: JSON.parse(JSON.stringify(run.options)) as Record<string, never>,
      },
    },
    { stream: 'access', idempotencyKey: `cli-read:${randomUUID()}` },
  );
}
