/**
 * `npm run build` (and "prepare", so `npm ci` builds): compiles the runtime folders to dist/
 * (tsconfig.build.json), copies the SQL migrations beside them, compiles the native verifier
 * (build-native.ts; optional), bundles the CLI (bundle-cli.ts) and writes dist/.build-stamp last.
 * bin/ledgerflow.cjs runs dist/ only while the stamp is newer than every source file (it refuses
 * otherwise), so a build in progress (stamp removed first) or an edit after it is never run.
 * `--if-stale`: build only when dist/ is missing or older than the sources (the test setup).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleCli, writeCodeCache } from './bundle-cli';
import { buildNative } from './build-native';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the bin's own CommonJS helper
const { buildState } = require('../bin/build-state.cjs') as {
  buildState(): { current: boolean; missing?: boolean; newer?: string };
};

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');
if (process.argv.includes('--if-stale') && buildState().current) process.exit(0);
let tscBin: string;
try {
  tscBin = require.resolve('typescript/bin/tsc');
} catch {
  // `npm ci --omit=dev` (a runtime-only install) runs "prepare" without the compiler.
  console.log('build skipped: typescript is not installed (a runtime-only install); copy dist/ from a build');
  process.exit(0);
}
rmSync(path.join(dist, '.build-stamp'), { force: true });
const tsc = spawnSync(process.execPath, [tscBin, '-p', path.join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
cpSync(path.join(root, 'db', 'migrations'), path.join(dist, 'db', 'migrations'), { recursive: true });
buildNative(root, dist);
bundleCli(root).then(
  () => {
    writeCodeCache(path.join(dist, 'client', 'cli.bundle.js'));
    writeFileSync(path.join(dist, '.build-stamp'), `${new Date().toISOString()}\n`);
    console.log(`built ${dist}`);
  },
  (err: Error) => {
    console.error(`build failed: cannot bundle the CLI: ${err.message}`);
    process.exit(1);
  },
);
