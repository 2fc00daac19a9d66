import { describe, expect, it } from 'vitest';
import { loadConfig } from '../runtime/config';

describe('LEDGERFLOW_TEMPORAL_METRICS_ADDRESS', () => {
  it('is off by default, taken as host:port, and anything else is one line naming the variable', () => {
    expect(loadConfig({}).LEDGERFLOW_TEMPORAL_METRICS_ADDRESS).toBeUndefined();
    expect(
      loadConfig({ LEDGERFLOW_TEMPORAL_METRICS_ADDRESS: '0.0.0.0:9465' }).LEDGERFLOW_TEMPORAL_METRICS_ADDRESS,
    ).toBe('0.0.0.0:9465');
    for (const bad of ['9465', 'http://0.0.0.0:9465', 'host:port'])
      expect(() => loadConfig({ LEDGERFLOW_TEMPORAL_METRICS_ADDRESS: bad })).toThrow(
        /^LEDGERFLOW_TEMPORAL_METRICS_ADDRESS: must be host:port, e\.g\. 0\.0\.0\.0:9465 \(fix or unset LEDGERFLOW_TEMPORAL_METRICS_ADDRESS\)$/,
      );
  });
});
