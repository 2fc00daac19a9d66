import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../client/commands';
import { MODULES } from '../client/commands/all';

const root = path.resolve(__dirname, '..');

describe('CLI start-up loads only what the invocation needs', () => {
  it('the manifest lists every command module, each with the description its module registers', () => {
    expect(COMMANDS.map((c) => c.name).sort()).toEqual(Object.keys(MODULES).sort());
    for (const c of COMMANDS) {
      const program = new Command('ledgerflow');
      MODULES[c.name]?.register(program);
      expect(program.commands.map((x) => [x.name(), x.description()])).toEqual([[c.name, c.description]]);
    }
  });

  it('top-level --help loads no command module; a command loads only its own', () => {
    const probe = `
      const { Command } = require('commander');
      const { registerFor } = require(${JSON.stringify(path.join(root, 'client/commands/index.ts'))});
      const loaded = () => Object.keys(require.cache).filter((f) => /client[\\\\/]commands[\\\\/](?!index)/.test(f)).map((f) => f.split(/client[\\\\/]commands[\\\\/]/)[1]);
      registerFor(new Command('x'), ['node', 'ledgerflow', '--help']);
      const help = loaded();
      registerFor(new Command('x'), ['node', 'ledgerflow', 'events', 'list']);
      console.log(JSON.stringify({ help, events: loaded() }));`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', probe], { cwd: root, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const { help, events } = JSON.parse(r.stdout) as { help: string[]; events: string[] };
    expect(help).toEqual([]);
    expect(events).toEqual(['events.ts']);
  });

  it('`ledgerflow --help` lists every command and exits 0', () => {
    const r = spawnSync(process.execPath, [path.join(root, 'bin', 'ledgerflow.cjs'), '--help'], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    for (const c of COMMANDS) expect(r.stdout).toContain(c.name);
  });

  it("every command group's --help loads no Temporal, OpenTelemetry, Fastify, NATS or metrics package", async () => {
    // A preload that lists, at exit, the heavy packages the process loaded (module ids, no timing).
    const probe = path.join(mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-help-probe-')), 'probe.cjs');
    writeFileSync(
      probe,
      `process.on('exit', () => {
        const heavy = new Set();
        for (const f of Object.keys(require.cache)) {
          const m = ${HEAVY.toString()}.exec(f);
          if (m) heavy.add(m[1]);
        }
        process.stderr.write('HEAVY ' + JSON.stringify([...heavy]) + '\\n');
      });`,
    );
    const groups = [[], ...COMMANDS.map((c) => [c.name])];
    const results = await Promise.all(groups.map((g) => helpOf(probe, g)));
    const loaded = Object.fromEntries(results.map((r, i) => [groups[i]!.join(' ') || '(bare)', r]));
    expect(loaded).toEqual(Object.fromEntries(Object.keys(loaded).map((k) => [k, { code: 0, heavy: [] }])));
  });
});

const HEAVY =
  /node_modules[\\/]((?:@temporalio|@opentelemetry|@nats-io)[\\/][^\\/]+|fastify|prom-client|pino)[\\/]/;

/** Runs `ledgerflow <group> --help` with the probe preloaded: its exit code and heavy packages. */
function helpOf(probe: string, group: string[]): Promise<{ code: number | null; heavy: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--require', probe, path.join(root, 'bin', 'ledgerflow.cjs'), ...group, '--help'],
      {
        cwd: root,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = /^HEAVY (.*)$/m.exec(stderr)?.[1];
      resolve({ code, heavy: line ? (JSON.parse(line) as string[]) : [`no probe output: ${stderr.trim()}`] });
    });
  });
}
