import type { Command } from 'commander';
import { createProgram } from '../cli';
import { applyCommandAuthority } from '../command-authority';
import * as dev from './dev';
import * as worker from './worker';
import * as demo from './demo';
import * as doctor from './doctor';
import * as db from './db';
import * as events from './events';
import * as api from './api';
import * as ledger from './ledger';
import * as loan from './loan';
import * as principals from './principals';
import * as history from './history';
import * as hold from './hold';
import * as retention from './retention';
import * as schedules from './schedules';
import * as lists from './lists';
import * as screen from './screen';
import * as verify from './verify';
import * as posture from './posture';
import * as tx from './tx';
import * as alerts from './alerts';
import * as rules from './rules';

/**
 * Every command module, imported up front: for tests and tools that walk the whole command tree.
 * The CLI itself loads modules on use (./index.ts).
 */
export const MODULES: Record<string, { register(program: Command): void }> = {
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
  posture,
  tx,
  alerts,
  rules,
};

/** Registers every command on `program`. */
export function registerAll(program: Command): void {
  for (const m of Object.values(MODULES)) m.register(program);
  applyCommandAuthority(program);
}

/** The whole `ledgerflow` program, every command registered. */
export function buildProgram(): Command {
  const program = createProgram();
  registerAll(program);
  return program;
}
