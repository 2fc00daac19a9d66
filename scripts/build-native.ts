import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';

/**
 * Compiles ledger/native/sha256.c into `<dist>/native/sha256.node` with the system C compiler
 * (`$CC`, else `cc`) against the running Node's own headers (`<prefix>/include/node`): no
 * node-gyp, no download. Optional: without a compiler or headers it says so in one line and the
 * ledger hashes with node:crypto (ledger/sha256-span.ts); returns whether it built.
 */
export function buildNative(root: string, dist: string): boolean {
  const include = path.join(path.dirname(path.dirname(process.execPath)), 'include', 'node');
  const out = path.join(dist, 'native', 'sha256.node');
  rmSync(out, { force: true });
  if (!existsSync(path.join(include, 'node_api.h')) || !existsSync(path.join(include, 'openssl', 'sha.h'))) {
    console.log(
      `native SHA-256 not built: no Node headers at ${include}; verification hashes with node:crypto`,
    );
    return false;
  }
  mkdirSync(path.dirname(out), { recursive: true });
  const cc = process.env.CC || 'cc';
  const tmp = `${out}.${process.pid}.tmp`;
  const r = spawnSync(
    cc,
    [
      '-O2',
      '-shared',
      '-fPIC',
      '-Wall',
      '-Werror',
      '-I',
      include,
      '-o',
      tmp,
      path.join(root, 'ledger', 'native', 'sha256.c'),
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) {
    rmSync(tmp, { force: true });
    const why = r.error ? `${cc} not found` : (r.stderr.trim().split('\n')[0] ?? `${cc} failed`);
    console.log(`native SHA-256 not built (${why}); verification hashes with node:crypto`);
    return false;
  }
  renameSync(tmp, out);
  return true;
}
