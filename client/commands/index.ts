import type { Command } from 'commander';
import * as db from './db';

/** Every command group. Add a module here to add a command. */
const modules: Array<{ register(program: Command): void }> = [db];

export function registerAll(program: Command): void {
  for (const m of modules) m.register(program);
}
