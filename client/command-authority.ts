import type { Action } from '../services/principals/authorization';

/**
 * What authorizes each CLI command: an {@link Action} checked by authorize() for the principal
 * given by `--as` or LEDGERFLOW_PRINCIPAL, or, for commands that change nothing another principal
 * could claim, the local credential that already gates them (named here so the table is complete).
 * test/authorization-matrix.test.ts fails when a registered command has no entry.
 */
export type CommandAuthority = { action: Action } | { local: string };

const READER = 'reads with the ledgerflow_reader database password; no ledger write';
const OPEN = 'starts or checks local servers; changes no record';

export const COMMAND_AUTHORITY: Record<string, CommandAuthority> = {
  dev: { local: `${OPEN} (adds the bootstrap admin only while no admin exists)` },
  worker: { local: 'runs ledgerflow’s own services with the writer database password' },
  demo: { local: `${OPEN} (adds the bootstrap admin only while no admin exists)` },
  doctor: { local: OPEN },
  'db migrate': { local: 'runs as the database owner: the owner password is the authority' },
  'events list': { local: READER },
  'api serve': { local: 'serves the API; every request is authorized by its key' },
  'api keys create': { action: 'api_key.manage' },
  'api keys list': { local: READER },
  'api keys revoke': { action: 'api_key.manage' },
  'ledger append': { action: 'ledger.append' },
  'ledger verify': { local: READER },
  'ledger checkpoint': { local: 'seals existing events with the signing key in the data dir' },
  'ledger prove': { local: READER },
  'ledger consistency': { local: READER },
  'ledger verify-proof': { local: 'offline: reads only its input files' },
  'ledger keys export': { local: 'prints public keys from the data dir' },
  'ledger keys rotate': { local: 'needs write access to the data dir holding the signing key' },
  'ledger export': { local: READER },
  'ledger verify-bundle': { local: 'offline: reads only its input files' },
  'loan start': { action: 'loan.start' },
  'loan status': { local: READER },
  'loan review': { action: 'loan.review' },
  'loan list': { local: READER },
  'loan providers': { local: 'runs local provider simulators' },
  'principals add': { action: 'principal.manage' },
  'principals roles': { action: 'principal.manage' },
  'principals deactivate': { action: 'principal.manage' },
  'principals list': { local: READER },
  'history show': { local: READER },
  'history replay': { local: READER },
  'history export': { local: READER },
  'history archive': { action: 'history.archive' },
  'hold place': { action: 'hold.place' },
  'hold release': { action: 'hold.release' },
  'hold list': { local: READER },
  'retention policies': { action: 'policy.change' },
  'retention run': { action: 'retention.purge' },
  'schedules install': { action: 'schedule.manage' },
  'schedules list': { local: READER },
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
  'rules list': { action: 'alerts.read' },
  'rules default': { local: 'prints the embedded default rule set; reads nothing' },
  'rules add': { action: 'rules.change' },
  'rules promote': { action: 'rules.change' },
  'rules replay': { action: 'alerts.read' },
  'lists status': { local: READER },
  'screen name': { action: 'screening.run' },
  'screen file': { action: 'screening.run' },
  'screen false-positive': { action: 'screening.decide' },
  verify: { local: READER },
};
