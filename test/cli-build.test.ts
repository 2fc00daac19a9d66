import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-build-'));
// Preloaded into the bin's process: says on exit whether tsx (the TypeScript path) was loaded.
const probe = path.join(tmp, 'probe.cjs');
writeFileSync(
  probe,
  `process.on('exit', () => process.stderr.write('PROBE ' + (Object.keys(require.cache).some((f) => /[\\\\/]node_modules[\\\\/]tsx[\\\\/]/.test(f)) ? 'tsx' : 'compiled') + '\\n'));`,
);

function runBin(args: string[], opts: { bin?: string; env?: Record<string, string | undefined> } = {}) {
  const r = spawnSync(
    process.execPath,
    ['--require', probe, opts.bin ?? path.join(root, 'bin', 'ledgerflow.cjs'), ...args],
    {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, LEDGERFLOW_TSX: undefined, ...opts.env },
    },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, ran: /PROBE (\w+)/.exec(r.stderr)?.[1] };
}

/** A copy of bin/ in its own tree with `dist` linked to the real build (or absent), and one source file. */
function tree(name: string, opts: { dist: boolean; sourceMtime?: Date }): string {
  const dir = path.join(tmp, name);
  mkdirSync(path.join(dir, 'bin'), { recursive: true });
  for (const f of ['ledgerflow.cjs', 'build-state.cjs', 'load-bundle.cjs'])
    copyFileSync(path.join(root, 'bin', f), path.join(dir, 'bin', f));
  if (opts.dist) symlinkSync(path.join(root, 'dist'), path.join(dir, 'dist'));
  mkdirSync(path.join(dir, 'client'));
  const source = path.join(dir, 'client', 'cli.ts');
  writeFileSync(source, 'export {};\n');
  if (opts.sourceMtime) utimesSync(source, opts.sourceMtime, opts.sourceMtime);
  return path.join(dir, 'bin', 'ledgerflow.cjs');
}

const refusal =
  /^error: (.+): run "npm run build" \(or set LEDGERFLOW_TSX=1 to run the sources through tsx\)$/;

describe('compiled CLI', () => {
  it('npm ci builds dist/ ("prepare"); the test setup built it and the bin runs it', () => {
    const scripts = (
      JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts;
    expect(scripts.prepare).toBe(scripts.build);
    const help = runBin(['--help']);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/Usage: ledgerflow/);
    expect(help.ran).toBe('compiled');
    const sub = runBin(['events', 'list', '--help']);
    expect(sub.code, sub.stderr).toBe(0);
    expect(sub.ran).toBe('compiled');
  });

  it('a dist/ older than the sources, or none, is refused in one line (exit 2) naming the fix', () => {
    const stale = runBin(['--help'], {
      bin: tree('stale', { dist: true, sourceMtime: new Date(Date.now() + 3_600_000) }),
    });
    expect(stale.code).toBe(2);
    expect(stale.stdout).toBe('');
    const lines = stale.stderr
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('PROBE '));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(refusal);
    expect(lines[0]).toMatch(/^error: dist\/ is older than the sources \(client[\\/]cli\.ts\)/);

    const missing = runBin(['--help'], { bin: tree('missing', { dist: false }) });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error: no compiled build \(dist\/\): run "npm run build"/m);

    // The same tree with a source older than the build runs the build.
    const current = runBin(['--help'], { bin: tree('current', { dist: true, sourceMtime: new Date(0) }) });
    expect(current.code, current.stderr).toBe(0);
    expect(current.ran).toBe('compiled');
  });

  it('the bin runs the one-file bundle, compiled from the V8 code cache the build wrote (not rejected)', () => {
    const bundle = path.join(root, 'dist', 'client', 'cli.bundle.js');
    const probe = `const { loadBundle } = require(${JSON.stringify(path.join(root, 'bin', 'load-bundle.cjs'))});
      const { exports, script } = loadBundle(${JSON.stringify(bundle)});
      console.log(JSON.stringify({ runCli: typeof exports.runCli, rejected: script.cachedDataRejected }));`;
    const r = spawnSync(process.execPath, ['-e', probe], { cwd: root, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    // `rejected` is undefined when no cache was given, false when V8 accepted it.
    expect(JSON.parse(r.stdout)).toEqual({ runCli: 'function', rejected: false });
  });

  it('LEDGERFLOW_TSX=1 runs the TypeScript sources (while editing them)', () => {
    const r = runBin(['--help'], { env: { LEDGERFLOW_TSX: '1' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.ran).toBe('tsx');
  });
});
