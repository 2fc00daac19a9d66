import { describe, expect, it } from 'vitest';
import { redactSql } from '../db/traced-queries';
import { loadConfig, tracingSettings } from '../runtime/config';

describe('tracing and JSON log configuration', () => {
  it('traces only with OTEL_EXPORTER_OTLP_ENDPOINT, never under OTEL_SDK_DISABLED=true', () => {
    expect(tracingSettings(loadConfig({}), 'ledgerflow-worker')).toBeUndefined();
    const endpoint = 'http://collector:4318';
    expect(
      tracingSettings(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }), 'ledgerflow-worker'),
    ).toEqual({
      endpoint,
      serviceName: 'ledgerflow-worker',
    });
    expect(
      tracingSettings(
        loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SERVICE_NAME: 'lf-eu-1' }),
        'x',
      ),
    ).toMatchObject({ serviceName: 'lf-eu-1' });
    expect(
      tracingSettings(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SDK_DISABLED: 'true' }), 'x'),
    ).toBeUndefined();
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(
      /^OTEL_EXPORTER_OTLP_ENDPOINT: OTEL_EXPORTER_OTLP_ENDPOINT must start with http:\/\/ or https:\/\/ \(fix or unset OTEL_EXPORTER_OTLP_ENDPOINT\)$/,
    );
  });

  it('logs plain text unless LEDGERFLOW_LOG_FORMAT=json; anything else is one line naming it', () => {
    expect(loadConfig({}).LEDGERFLOW_LOG_FORMAT).toBe('text');
    expect(loadConfig({ LEDGERFLOW_LOG_FORMAT: 'json' }).LEDGERFLOW_LOG_FORMAT).toBe('json');
    expect(() => loadConfig({ LEDGERFLOW_LOG_FORMAT: 'yaml' })).toThrow(
      /^LEDGERFLOW_LOG_FORMAT: .*\(fix or unset LEDGERFLOW_LOG_FORMAT\)$/,
    );
  });

  it('SQL span text keeps the statement and drops inlined literals', () => {
    expect(redactSql(`SELECT * FROM loan_applications WHERE id = $1 AND note = 'Maria O''Neil'`)).toBe(
      `SELECT * FROM loan_applications WHERE id = $1 AND note = '?'`,
    );
    expect(redactSql('x'.repeat(5_000))).toHaveLength(2_000);
  });
});
