import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..');

/** Starts a process that loads (creating on first use) the signing key of `dataDir`; its key id, or its error. */
function loadInChild(dataDir: string): Promise<string> {
  const code = `const { loadSigner } = require(${JSON.stringify(path.join(root, 'ledger', 'keys.ts'))});
try { process.stdout.write(loadSigner({ dataDir: ${JSON.stringify(dataDir)} }).keyId); }
catch (e) { process.stdout.write('error: ' + e.message); }`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', code], { cwd: root });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(out));
  });
}

describe('the generated signing key', () => {
  it('is created whole: processes starting at once all read the same key, none a partial file', async () => {
    for (let round = 0; round < 2; round++) {
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-key-race-'));
      try {
        const ids = await Promise.all(Array.from({ length: 6 }, () => loadInChild(dataDir)));
        expect(new Set(ids).size, ids.join('\n')).toBe(1);
        expect(ids[0]).not.toMatch(/^error/);
        // No temporary file left behind.
        expect(readdirSync(path.join(dataDir, 'keys'))).toEqual(['signing-key.pem']);
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    }
  });
});
