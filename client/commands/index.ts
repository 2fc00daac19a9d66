import type { Command } from 'commander';
import * as api from './api';
import * as db from './db';
import * as demo from './demo';
import * as dev from './dev';
import * as doctor from './doctor';
import * as events from './events';
import * as history from './history';
import * as hold from './hold';
import * as ledger from './ledger';
import * as loan from './loan';
import * as principals from './principals';
import * as retention from './retention';
import * as schedules from './schedules';
import * as screen from './screen';
import * as lists from './lists';
import * as verify from './verify';
import * as worker from './worker';

/** Every command group. Add a module here to add a command. */
const modules: Array<{ register(program: Command): void }> = [
  dev,
  worker,
  demo,
  doctor,
  db,
  events,
  api,
  ledger,
  loan,
  principals,
  history,
  hold,
  retention,
  schedules,
  lists,
  screen,
  verify,
];

export function registerAll(program: Command): void {
  for (const m of modules) m.register(program);
}
