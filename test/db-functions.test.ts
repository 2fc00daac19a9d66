import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support';

/**
 * db/sql holds the current definition of every SQL function the migrations create. The
 * migrated database (cloned from the run's template) must have exactly those functions, with
 * exactly those definitions: the files are executed in a scratch schema of the same database and
 * both sides are compared as PostgreSQL prints them (pg_get_functiondef: body, arguments, return
 * type, language, volatility, SECURITY DEFINER, SET options).
 */
const sqlDir = path.resolve(__dirname, '../db/sql');
const SCRATCH = 'lf_db_sql_definitions';

// Functions of one schema by signature; extension members are not ledgerflow's.
const FUNCTIONS = `
  SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS signature,
         CASE WHEN p.prokind IN ('f', 'p') THEN pg_get_functiondef(p.oid) END AS def
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
   WHERE n.nspname = $1
     AND NOT EXISTS (SELECT 1 FROM pg_depend d
                      WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
   ORDER BY 1`;

let t: TestDatabase;
let c: pg.Client;
let migrated: Map<string, string | null>;
let defined: Map<string, string | null>;

async function functions(schema: string): Promise<Map<string, string | null>> {
  const r = await c.query<{ signature: string; def: string | null }>(FUNCTIONS, [schema]);
  // pg_get_functiondef always qualifies the function's own name; nothing else names the schema.
  const header = new RegExp(`^(CREATE OR REPLACE (?:FUNCTION|PROCEDURE) )${schema}\\.`);
  return new Map(r.rows.map((row) => [row.signature, row.def?.replace(header, '$1public.') ?? null]));
}

beforeAll(async () => {
  t = await createTestDatabase();
  c = new pg.Client({ connectionString: t.ownerUrl });
  await c.connect();
  c.on('notice', () => undefined);
  migrated = await functions('public');

  await c.query('BEGIN');
  try {
    await c.query(`CREATE SCHEMA ${SCRATCH}`);
    // Unqualified CREATEs land in the scratch schema; bodies still resolve tables and types in public.
    await c.query(`SET LOCAL search_path = ${SCRATCH}, public`);
    const files = readdirSync(sqlDir)
      .filter((f) => f.endsWith('.sql'))
      .sort();
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      await c.query(readFileSync(path.join(sqlDir, f), 'utf8')).catch((err: Error) => {
        throw new Error(`db/sql/${f} does not execute: ${err.message}`);
      });
    }
    await c.query('SET LOCAL search_path = public');
    defined = await functions(SCRATCH);
  } finally {
    await c.query('ROLLBACK');
  }
});
afterAll(async () => {
  await c?.end();
  await t?.drop();
});

describe('db/sql is the current definition of every database function', () => {
  it('db/sql and the migrations define the same functions', () => {
    expect(defined.size).toBeGreaterThan(0);
    const onlyMigrated = [...migrated.keys()].filter((s) => !defined.has(s));
    const onlyInSql = [...defined.keys()].filter((s) => !migrated.has(s));
    expect(onlyMigrated, 'functions the migrations create but db/sql does not define').toEqual([]);
    expect(onlyInSql, 'functions db/sql defines but the migrations do not create').toEqual([]);
  });

  it('every function body in the migrated database equals its db/sql definition', () => {
    for (const [signature, def] of defined) {
      if (!migrated.has(signature)) continue;
      expect.soft(migrated.get(signature), `${signature}: migrated database vs db/sql`).toBe(def);
    }
  });

  it('production functions carry no test hooks', () => {
    for (const [signature, def] of migrated) {
      expect.soft(def ?? '', signature).not.toMatch(/pg_sleep|ledgerflow\.purge_pause_ms/);
    }
  });
});
