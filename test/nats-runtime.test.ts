import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findNatsServer, toolsNatsServerPath } from '../runtime/nats-server';
import { connectBroker } from '../services/monitoring/feed';
import { natsUrl } from './feed-helpers';

describe('finding nats-server like the Temporal CLI', () => {
  it('LEDGERFLOW_NATS_SERVER first (and a wrong one is one clear error), then PATH, then .tools/nats', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lf-nats-bin-'));
    const fake = path.join(dir, 'nats-server');
    writeFileSync(fake, '#!/bin/sh\n');
    chmodSync(fake, 0o755);
    expect(findNatsServer({ LEDGERFLOW_NATS_SERVER: fake, PATH: '' })).toBe(fake);
    expect(() => findNatsServer({ LEDGERFLOW_NATS_SERVER: path.join(dir, 'missing'), PATH: '' })).toThrow(
      /^LEDGERFLOW_NATS_SERVER=.*missing is not an executable file \(fix or unset it\)$/,
    );
    expect(findNatsServer({ PATH: dir })).toBe(fake);
    expect(findNatsServer({ PATH: '' })).toBe(toolsNatsServerPath);
  });

  it('the run has a real JetStream broker', async () => {
    const nc = await connectBroker(natsUrl(), 'ledgerflow-test');
    expect(nc.info?.jetstream).toBe(true);
    await nc.close();
  });

  it('an unreachable broker is one line naming the URL and what to do', async () => {
    await expect(connectBroker('nats://127.0.0.1:1', 'ledgerflow-test')).rejects.toThrow(
      /^cannot reach the NATS broker at nats:\/\/127\.0\.0\.1:1 \(.*\); start "ledgerflow dev" or set NATS_URL$/,
    );
  });
});
