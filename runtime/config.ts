import path from 'node:path';
import { z } from 'zod';
import {
  checkThresholds,
  DEFAULT_MATCHER_CONFIG,
  DEFAULT_THRESHOLDS,
  type MatcherConfig,
} from '../core/screening/config';
import { ConfigError } from './errors';
import type { TracingSettings } from './tracing';

const optionalUrl = (name: string, protocols: string[]) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .refine((v) => v === undefined || protocols.some((p) => v.startsWith(p)), {
      message: `${name} must start with ${protocols.join(' or ')}`,
    });

/** A screening threshold: unset or empty means the default. */
const optionalScore = (name: string) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v === '' ? undefined : Number(v)))
    .refine((v) => v === undefined || Number.isFinite(v), {
      message: `${name} must be a number between 0 and 1`,
    });

const EnvSchema = z.object({
  DATABASE_URL: optionalUrl('DATABASE_URL', ['postgres://', 'postgresql://']),
  LEDGERFLOW_WRITER_URL: optionalUrl('LEDGERFLOW_WRITER_URL', ['postgres://', 'postgresql://']),
  LEDGERFLOW_READER_URL: optionalUrl('LEDGERFLOW_READER_URL', ['postgres://', 'postgresql://']),
  LEDGERFLOW_PURGER_URL: optionalUrl('LEDGERFLOW_PURGER_URL', ['postgres://', 'postgresql://']),
  LEDGERFLOW_APP_PASSWORD: z
    .string()
    .min(12, 'LEDGERFLOW_APP_PASSWORD must be at least 12 characters')
    .optional(),
  TEMPORAL_ADDRESS: z
    .string()
    .trim()
    .regex(/^[^\s:/]+:\d{1,5}$/, 'TEMPORAL_ADDRESS must look like host:port, e.g. localhost:7233')
    .optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('ledgerflow'),
  TEMPORAL_CLI_PATH: z.string().optional(),
  /** Your own NATS (JetStream) broker for the transaction feed; unset: the embedded one of `dev` and the demo. */
  NATS_URL: optionalUrl('NATS_URL', ['nats://', 'tls://']),
  /** The `nats-server` executable for the embedded broker (default: PATH, then .tools/nats). */
  LEDGERFLOW_NATS_SERVER: z.string().optional(),
  LEDGERFLOW_NATS_PORT: z.coerce.number().int().min(1024).max(65535).default(4222),
  /** The transaction feed's JetStream stream (subjects `<stream>.in`, dead letters `<stream>_DLQ`). */
  LEDGERFLOW_FEED_STREAM: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]{0,40}$/, 'LEDGERFLOW_FEED_STREAM must be A-Z, 0-9 and _ (e.g. LEDGERFLOW_TX)')
    .default('LEDGERFLOW_TX'),
  /** A feed message not acknowledged within this many ms is redelivered. */
  LEDGERFLOW_FEED_ACK_WAIT_MS: z.coerce.number().int().min(500).default(30_000),
  /** A feed message failing this many deliveries goes to the dead-letter stream. */
  LEDGERFLOW_FEED_MAX_DELIVERIES: z.coerce.number().int().min(1).max(100).default(5),
  /** Investigation SLAs (ms) of the alerts the feed raises: assignment, then decision; unset: 4 h and 48 h. */
  LEDGERFLOW_INVESTIGATION_ASSIGN_SLA_MS: z.coerce.number().int().positive().optional(),
  LEDGERFLOW_INVESTIGATION_DECIDE_SLA_MS: z.coerce.number().int().positive().optional(),
  LEDGERFLOW_DATA_DIR: z.string().optional(),
  LEDGERFLOW_PG_PORT: z.coerce.number().int().min(1024).max(65535).default(54329),
  LEDGERFLOW_TEMPORAL_PORT: z.coerce.number().int().min(1024).max(65535).default(7233),
  LEDGERFLOW_TEMPORAL_UI_PORT: z.coerce.number().int().min(1024).max(65535).default(8233),
  LEDGERFLOW_MAX_EVENT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(256 * 1024),
  LEDGERFLOW_SIGNING_KEY_FILE: z.string().optional(),
  /** The append path signs a checkpoint of a stream every this many events. */
  LEDGERFLOW_CHECKPOINT_EVERY: z.coerce
    .number()
    .int()
    .min(1, 'LEDGERFLOW_CHECKPOINT_EVERY must be a positive integer')
    .default(1024),
  /** Screening score at or above which a hit goes to review. */
  LEDGERFLOW_SCREENING_REVIEW: optionalScore('LEDGERFLOW_SCREENING_REVIEW'),
  /** Screening score at or above which a hit blocks. */
  LEDGERFLOW_SCREENING_BLOCK: optionalScore('LEDGERFLOW_SCREENING_BLOCK'),
  /** Business registry and credit bureau base URLs for the worker's loan activities. */
  LEDGERFLOW_REGISTRY_URL: optionalUrl('LEDGERFLOW_REGISTRY_URL', ['http://', 'https://']),
  LEDGERFLOW_BUREAU_URL: optionalUrl('LEDGERFLOW_BUREAU_URL', ['http://', 'https://']),
  /** Port of the worker's /health and /metrics endpoint; unset: no HTTP endpoint. */
  LEDGERFLOW_WORKER_HTTP_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** The SDK's own log level (bundler, worker state changes). */
  LEDGERFLOW_TEMPORAL_LOG_LEVEL: z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']).default('WARN'),
  /** host:port where the worker serves the Temporal SDK's own metrics (Prometheus); unset: off. */
  LEDGERFLOW_TEMPORAL_METRICS_ADDRESS: z
    .string()
    .regex(/^[^\s:/]+:\d{1,5}$/, 'must be host:port, e.g. 0.0.0.0:9465')
    .optional(),
  /** Alarm webhook (posture check): firings and resolutions are POSTed here, signed with the secret. */
  LEDGERFLOW_ALARM_WEBHOOK_URL: optionalUrl('LEDGERFLOW_ALARM_WEBHOOK_URL', ['http://', 'https://']),
  /** Shared secret of the alarm webhook's HMAC-SHA256 signature (required with the URL). */
  LEDGERFLOW_ALARM_WEBHOOK_SECRET: z
    .string()
    .min(16, 'LEDGERFLOW_ALARM_WEBHOOK_SECRET must be at least 16 characters')
    .optional(),
  /**
   * The external witness: a directory (append-only, ideally on another host) the scheduled
   * verification publishes signed ledger heads to and compares the live head with; unset: none.
   */
  LEDGERFLOW_WITNESS_DIR: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === '' ? undefined : v)),
  /** Posture check: the latest published head must be at most this many hours old. */
  LEDGERFLOW_WITNESS_MAX_AGE_HOURS: z.coerce.number().positive().default(24),
  /** Posture check: the signing key must be rotated within this many days. */
  LEDGERFLOW_KEY_ROTATION_DAYS: z.coerce.number().int().positive().default(365),
  /** Searched for the `temporal` and `pip` executables. */
  PATH: z.string().default(''),
  LEDGERFLOW_LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info'),
  /** `json`: worker and API write pino JSON lines (with workflow/run ids) to stderr; `text`: plain lines. */
  LEDGERFLOW_LOG_FORMAT: z.enum(['text', 'json']).default('text'),
  /** OTLP/HTTP collector base URL: set, worker, API and CLI export traces there; unset: no tracing. */
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl('OTEL_EXPORTER_OTLP_ENDPOINT', ['http://', 'https://']),
  /** service.name of the spans; default ledgerflow-worker, ledgerflow-api or ledgerflow-cli. */
  OTEL_SERVICE_NAME: z.string().trim().min(1).optional(),
  /** OpenTelemetry's own switch: `true` turns tracing off even with an endpoint. */
  OTEL_SDK_DISABLED: z.enum(['true', 'false']).optional(),
});

export type Config = z.infer<typeof EnvSchema> & {
  /** Where embedded Postgres, the Temporal dev server database and local keys live. */
  dataDir: string;
  /** Screening matcher: default scorer with the LEDGERFLOW_SCREENING_REVIEW / _BLOCK thresholds. */
  screening: MatcherConfig;
};

/** Reads and validates configuration from the environment; throws {@link ConfigError} naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = issue?.path.join('.') ?? 'environment';
    throw new ConfigError(`${name}: ${issue?.message ?? 'invalid'} (fix or unset ${name})`);
  }
  const dataDir = path.resolve(parsed.data.LEDGERFLOW_DATA_DIR ?? path.join(process.cwd(), '.ledgerflow'));
  const thresholds = {
    review: parsed.data.LEDGERFLOW_SCREENING_REVIEW ?? DEFAULT_THRESHOLDS.review,
    block: parsed.data.LEDGERFLOW_SCREENING_BLOCK ?? DEFAULT_THRESHOLDS.block,
  };
  const bad = checkThresholds(thresholds);
  if (bad) throw new ConfigError(`LEDGERFLOW_SCREENING_REVIEW/BLOCK: ${bad}`);
  if (parsed.data.LEDGERFLOW_ALARM_WEBHOOK_URL && !parsed.data.LEDGERFLOW_ALARM_WEBHOOK_SECRET)
    throw new ConfigError(
      'LEDGERFLOW_ALARM_WEBHOOK_SECRET: required with LEDGERFLOW_ALARM_WEBHOOK_URL (fix or unset LEDGERFLOW_ALARM_WEBHOOK_URL)',
    );
  return { ...parsed.data, dataDir, screening: { ...DEFAULT_MATCHER_CONFIG, thresholds } };
}

/** The provider endpoints configured for the worker, when both are set. */
export function providerEndpoints(
  config: Pick<Config, 'LEDGERFLOW_REGISTRY_URL' | 'LEDGERFLOW_BUREAU_URL'>,
): { registryUrl: string; bureauUrl: string } | undefined {
  const { LEDGERFLOW_REGISTRY_URL: registryUrl, LEDGERFLOW_BUREAU_URL: bureauUrl } = config;
  return registryUrl && bureauUrl ? { registryUrl, bureauUrl } : undefined;
}

/** Tracing settings for a process (default service name given), or undefined when tracing is off. */
export function tracingSettings(
  config: Pick<Config, 'OTEL_EXPORTER_OTLP_ENDPOINT' | 'OTEL_SERVICE_NAME' | 'OTEL_SDK_DISABLED'>,
  serviceName: string,
): TracingSettings | undefined {
  if (!config.OTEL_EXPORTER_OTLP_ENDPOINT || config.OTEL_SDK_DISABLED === 'true') return undefined;
  return {
    endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
    serviceName: config.OTEL_SERVICE_NAME ?? serviceName,
  };
}

/** The alarm webhook, when configured. */
export function alarmWebhook(
  config: Pick<Config, 'LEDGERFLOW_ALARM_WEBHOOK_URL' | 'LEDGERFLOW_ALARM_WEBHOOK_SECRET'>,
): { url: string; secret: string } | undefined {
  const { LEDGERFLOW_ALARM_WEBHOOK_URL: url, LEDGERFLOW_ALARM_WEBHOOK_SECRET: secret } = config;
  return url && secret ? { url, secret } : undefined;
}
