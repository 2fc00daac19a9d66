import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..');
const bin = path.join(root, 'bin', 'ledgerflow.cjs');
// Preloaded into the bin's process: says on exit whether tsx (the TypeScript path) was loaded.
const probe = path.join(mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-build-')), 'probe.cjs');
writeFileSync(
  probe,
  `process.on('exit', () => process.stderr.write('PROBE ' + (Object.keys(require.cache).some((f) => /[\\\\/]node_modules[\\\\/]tsx[\\\\/]/.test(f)) ? 'tsx' : 'compiled') + '\\n'));`,
);

function runBin(args: string[]) {
  const r = spawnSync(process.execPath, ['--require', probe, bin, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, LEDGERFLOW_TSX: undefined },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, ran: /PROBE (\w+)/.exec(r.stderr)?.[1] };
}

describe('compiled CLI', () => {
  it('npm run build writes dist/; the bin runs it while it is current and the sources once one is edited', () => {
    const build = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8' });
    expect(build.status, build.stderr + build.stdout).toBe(0);

    const help = runBin(['--help']);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/Usage: ledgerflow/);
    expect(help.ran).toBe('compiled');
    const sub = runBin(['events', 'list', '--help']);
    expect(sub.code, sub.stderr).toBe(0);
    expect(sub.ran).toBe('compiled');

    // An edited source (newer than the build): the bin runs the sources and says why.
    const source = path.join(root, 'client', 'output.ts');
    const { atime, mtime } = statSync(source);
    utimesSync(source, atime, new Date(Date.now() + 60_000));
    try {
      const stale = runBin(['--help']);
      expect(stale.code, stale.stderr).toBe(0);
      expect(stale.ran).toBe('tsx');
      expect(stale.stderr).toMatch(
        /^ledgerflow: dist\/ is older than the sources: running the sources \(npm run build refreshes it\)$/m,
      );
    } finally {
      utimesSync(source, atime, mtime);
    }
    expect(runBin(['--help']).ran).toBe('compiled');
  }, 300_000);
});
