import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { normalizeName, validateName } from '../core/screening/normalize';
import { readBatchFile } from '../services/screening/csv-input';
import { InvalidApplicationError, parseApplicationFile } from '../services/loans/applications';
import { sampleApplication } from '../simulators/loan-fixtures';
import { createCli, createTestDatabase, type TestDatabase } from './support';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ledgerflow-names-'));
const RLO = '\u202E';
const PDF = '\u202C';
const ZWSP = '\u200B';
const ZWNJ = '\u200C';
const tokens = (name: string) => normalizeName(name, 'person').tokens.map((t) => t.text);

describe('names screened as displayed: bidi controls refused, invisible characters not matched on', () => {
  it('a name with a bidirectional override (it displays as another name) is refused in one line', () => {
    // "‮agnabuL samohT‬" displays as "Thomas Lubanga".
    expect(validateName(`${RLO}agnabuL samohT${PDF}`)).toBe(
      'name contains the bidirectional control character U+202E, which makes it display differently from its text; remove it',
    );
    expect(validateName('Thomas \u2067Lubanga\u2069')).toMatch(/U\+2067/);
  });

  it('a name that is only zero-width characters is empty; zero-width characters inside are ignored', () => {
    expect(validateName(ZWSP)).toBe('name is empty (only invisible characters)');
    expect(validateName(`${ZWSP}\u200D\u2060 `)).toMatch(/empty/);
    expect(tokens(`Thomas Lu${ZWSP}ban\u00ADga`)).toEqual(tokens('Thomas Lubanga'));
    expect(tokens(`Tho\u200Dmas\u200E Lubanga`)).toEqual(tokens('Thomas Lubanga'));
  });

  it('ZWNJ is a word boundary in Arabic-script names and removed elsewhere', () => {
    expect(tokens(`محمد${ZWNJ}رضا`)).toEqual(tokens('محمد رضا'));
    expect(tokens(`Tho${ZWNJ}mas`)).toEqual(tokens('Thomas'));
  });

  it('customer files: such rows are rejected by row number; the display name keeps its ZWNJ', async () => {
    const file = path.join(dir, 'customers.csv');
    writeFileSync(file, `name\nThomas Lubanga\n${ZWSP}\n${RLO}agnabuL samohT${PDF}\nمحمد${ZWNJ}رضا\n`);
    const items = await readBatchFile(file, 'name');
    expect(items.map((i) => [i.row, i.error ?? i.query?.name])).toEqual([
      [1, 'Thomas Lubanga'],
      [2, 'name is empty (only invisible characters)'],
      [3, expect.stringMatching(/^name contains the bidirectional control character U\+202E/)],
      [4, `محمد${ZWNJ}رضا`],
    ]);
  });

  it('a Latin-1 customer file is refused naming the byte and line, not read as mojibake', async () => {
    const file = path.join(dir, 'latin1.csv');
    writeFileSync(file, Buffer.from('name\nJos\u00e9 M\u00fcller\n', 'latin1'));
    await expect(readBatchFile(file, 'name')).rejects.toThrow(
      `${file} is not UTF-8 text (byte 0xE9 on line 2; Latin-1 / Windows-1252?): convert it first, e.g. iconv -f latin1 -t utf-8`,
    );
  });

  it('loan applications: an applicant name with a bidi override is an invalid field', () => {
    const app = sampleApplication('app-bidi');
    app.applicant.fullName = `${RLO}rellem nnA${PDF}`;
    try {
      parseApplicationFile(app);
      expect.unreachable('accepted a name with a bidi override');
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidApplicationError);
      expect((err as InvalidApplicationError).fields).toEqual([
        {
          field: 'applicant.fullName',
          message: expect.stringMatching(/bidirectional control character U\+202E/),
        },
      ]);
    }
  });
});

describe('the CLI says so in one line (spawned, real servers)', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
    await t.asOwner(
      `INSERT INTO principals (id, display_name, roles, created_by) VALUES ('op', 'Operator', '{operator}', 'test')`,
    );
  });
  afterAll(() => t?.drop());
  const cli = createCli(() => ({
    env: {
      DATABASE_URL: t.ownerUrl,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      LEDGERFLOW_DATA_DIR: path.join(dir, 'data'),
      LEDGERFLOW_PRINCIPAL: 'op',
    },
  }));

  it('screen name with a bidi override, screen file of a Latin-1 file, loan start of a Latin-1 file: exit 2', async () => {
    const latin1Csv = path.join(dir, 'cli-latin1.csv');
    writeFileSync(latin1Csv, Buffer.from('name\nJos\u00e9 M\u00fcller\n', 'latin1'));
    const latin1Json = path.join(dir, 'cli-latin1.json');
    writeFileSync(
      latin1Json,
      Buffer.from(JSON.stringify(sampleApplication('app-l1')).replace('Maria', 'M\u00e1ria'), 'latin1'),
    );
    const [name, file, loan] = await Promise.all([
      cli(['screen', 'name', `${RLO}agnabuL samohT${PDF}`]),
      cli(['screen', 'file', latin1Csv, '--column', 'name']),
      cli(['loan', 'start', '--file', latin1Json]),
    ]);
    expect(name.code, name.stderr).toBe(2);
    expect(name.stderr.trim().split('\n').at(-1)).toMatch(
      /^error: name contains the bidirectional control character U\+202E/,
    );
    expect(file.code, file.stderr).toBe(2);
    expect(file.stderr.trim().split('\n').at(-1)).toMatch(
      /^error: .*cli-latin1\.csv is not UTF-8 text \(byte 0xE9 on line 2/,
    );
    expect(loan.code, loan.stderr).toBe(2);
    expect(loan.stderr.trim().split('\n').at(-1)).toMatch(
      /^error: .*cli-latin1\.json is not UTF-8 text \(byte 0xE1 on line 1/,
    );
    const recorded = await t.asOwner(
      `SELECT count(*)::int AS n FROM ledger_events WHERE stream = 'screening'`,
    );
    expect(recorded.rows[0]?.n).toBe(0);
  }, 120_000);
});
