import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = path.resolve(__dirname, '..');

describe('project layout', () => {
  it('docker-compose.yml parses and wires postgres, temporal on postgres, temporal-ui, worker and api', () => {
    const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')) as {
      services: Record<
        string,
        { environment?: Record<string, string>; command?: string[]; depends_on?: unknown }
      >;
    };
    expect(Object.keys(compose.services).sort()).toEqual([
      'api',
      'postgres',
      'temporal',
      'temporal-ui',
      'worker',
    ]);
    expect(compose.services.temporal?.environment?.DB).toMatch(/^postgres/);
    expect(compose.services['temporal-ui']?.environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
    for (const app of ['worker', 'api']) {
      const env = compose.services[app]?.environment ?? {};
      expect(env.DATABASE_URL).toMatch(/@postgres:5432\//);
      expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
    }
    expect(compose.services.worker?.command).toEqual(['worker']);
  });
});
