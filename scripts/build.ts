/**
 * `npm run build`: compiles the runtime folders to dist/ (tsconfig.build.json), copies the SQL
 * migrations beside them and writes dist/.build-stamp last. bin/ledgerflow.cjs runs dist/ only
 * while the stamp is newer than every source file, so a build in progress (stamp removed first)
 * or an edit after it falls back to the sources.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
rmSync(path.join(dist, '.build-stamp'), { force: true });
const tsc = spawnSync(
  process.execPath,
  [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')],
  { stdio: 'inherit' },
);
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
cpSync(path.join(root, 'db', 'migrations'), path.join(dist, 'db', 'migrations'), { recursive: true });
writeFileSync(path.join(dist, '.build-stamp'), `${new Date().toISOString()}\n`);
console.log(`built ${dist}`);
