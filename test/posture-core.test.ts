import { describe, expect, it } from 'vitest';
import { planAlarmChanges, verificationConditions, volumeDropConditions } from '../core/posture/alarms';
import { grantDifferences } from '../core/posture/evaluate';
import { renderPostureHtml } from '../core/posture/html';
import { PostureSettingsSchema } from '../core/posture/settings';
import { buildReport } from '../core/posture/types';

const s = PostureSettingsSchema.parse({
  volumeBaselineWindows: 4,
  volumeMinBaseline: 5,
  verificationWindowHours: 3,
});

describe('posture: pure evaluation', () => {
  it('volume drop judges each stream against its own baseline, ignoring quiet streams', () => {
    const c = volumeDropConditions(
      [
        { stream: 'busy', recent: 3, baseline: 80 }, // 20/window, 3 < 4: drop
        { stream: 'steady', recent: 18, baseline: 80 },
        { stream: 'quiet', recent: 0, baseline: 8 }, // 2/window < min baseline 5
      ],
      s,
    );
    expect(c.map((x) => x.alarm_id)).toEqual(['volume_drop:busy']);
  });

  it('verification: a failure after the last success fires; an old success lags; none lags', () => {
    const now = '2026-01-01T12:00:00.000Z';
    expect(
      verificationConditions(
        {
          lastFailure: { seq: 9, at: '2026-01-01T11:00:00.000Z' },
          lastSuccessAt: '2026-01-01T10:00:00.000Z',
        },
        now,
        s,
      )[0]?.kind,
    ).toBe('verification_failed');
    expect(
      verificationConditions({ lastFailure: null, lastSuccessAt: '2026-01-01T08:00:00.000Z' }, now, s)[0]
        ?.detail,
    ).toBe('no successful chain verification for 4.0 h (window 3 h)');
    expect(
      verificationConditions({ lastFailure: null, lastSuccessAt: '2026-01-01T10:00:00.000Z' }, now, s),
    ).toEqual([]);
    expect(verificationConditions({ lastFailure: null, lastSuccessAt: null }, now, s)[0]?.kind).toBe(
      'verification_lag',
    );
  });

  it('alarm planning fires new conditions, resolves cleared ones, keys each change by the previous event', () => {
    const cond = {
      alarm_id: 'key_age',
      kind: 'key_age' as const,
      severity: 'warning' as const,
      detail: 'old',
    };
    const seqs: Record<string, number> = { key_age: 7, 'volume_drop:x': 12 };
    const changes = planAlarmChanges(
      [cond],
      [{ alarm_id: 'volume_drop:x', kind: 'volume_drop', fired_seq: 12 }],
      (id) => seqs[id] ?? 0,
    );
    expect(changes).toEqual([
      { state: 'fired', condition: cond, after_seq: 7 },
      { state: 'resolved', alarm_id: 'volume_drop:x', kind: 'volume_drop', fired_seq: 12, after_seq: 12 },
    ]);
    expect(
      planAlarmChanges([cond], [{ alarm_id: 'key_age', kind: 'key_age', fired_seq: 7 }], () => 7),
    ).toEqual([]);
  });

  it('grant differences report extra and missing privileges per role', () => {
    const d = grantDifferences(
      { t1: { w: ['INSERT', 'SELECT'] } },
      [
        { table: 't1', role: 'w', privileges: ['SELECT', 'UPDATE'] },
        { table: 't2', role: 'other', privileges: ['DELETE'] },
      ],
      ['w'],
    );
    expect(d).toEqual({
      extra: [{ table: 't1', role: 'w', privileges: ['UPDATE'] }],
      missing: [{ table: 't1', role: 'w', privileges: ['INSERT'] }],
    });
  });

  it('the HTML report escapes every value', () => {
    const report = buildReport(
      [
        {
          control: {
            id: 'x',
            title: '<script>',
            description: 'd',
            frameworks: [{ framework: 'GDPR', ref: 'art. 17' }],
          },
          status: 'fail',
          detail: 'a & b',
          evidence: { probe: 'SELECT "<b>"', observed: { v: '<i>' }, at: '2026-01-01T00:00:00.000Z' },
        },
      ],
      { at: '2026-01-01T00:00:00.000Z', requestedBy: 'alice' },
    );
    const html = renderPostureHtml(report, { stream: 'compliance', seq: 1, key_id: 'k' });
    expect(report.ok).toBe(false);
    expect(html).not.toMatch(/<script>|<b>|<i>/);
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('a &amp; b');
  });
});
