import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { NATIVE_MODULE_FILE } from '../ledger/native-module';

/**
 * Compiles ledger/native/*.c into `<dist>/native/ledger.node` with the system C compiler
 * (`$CC`, else `cc`) against the running Node's own headers (`<prefix>/include/node`): no
 * node-gyp, no download. Optional: without a compiler or headers it says so in one line and
 * verification runs without it (ledger/native-module.ts); returns whether it built.
 */
export function buildNative(root: string, dist: string): boolean {
  const include = path.join(path.dirname(path.dirname(process.execPath)), 'include', 'node');
  const out = path.join(dist, 'native', NATIVE_MODULE_FILE);
  const without = 'verification runs without it (node:crypto SHA-256, TypeScript chunk checker)';
  rmSync(out, { force: true });
  if (!existsSync(path.join(include, 'node_api.h')) || !existsSync(path.join(include, 'openssl', 'sha.h'))) {
    console.log(`native verifier not built: no Node headers at ${include}; ${without}`);
    return false;
  }
  mkdirSync(path.dirname(out), { recursive: true });
  const cc = process.env.CC || 'cc';
  const tmp = `${out}.${process.pid}.tmp`;
  const dir = path.join(root, 'ledger', 'native');
  const sources = readdirSync(dir)
    .filter((f) => f.endsWith('.c'))
    .sort()
    .map((f) => path.join(dir, f));
  const r = spawnSync(
    cc,
    ['-O2', '-shared', '-fPIC', '-Wall', '-Werror', '-I', include, '-o', tmp, ...sources],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) {
    rmSync(tmp, { force: true });
    const why = r.error ? `${cc} not found` : (r.stderr.trim().split('\n')[0] ?? `${cc} failed`);
    console.log(`native verifier not built (${why}); ${without}`);
    return false;
  }
  renameSync(tmp, out);
  return true;
}
