import type { Logger as TemporalLogger, LogLevel, LogMetadata } from '@temporalio/common';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Log levels pino knows (LEDGERFLOW_LOG_LEVEL). */
export type JsonLogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * A pino logger writing one JSON object per line to stderr (stdout stays the commands' data).
 * Only identifiers and operational facts are logged: callers pass ids, counts and durations,
 * never payloads or names.
 */
export function createJsonLogger(opts: {
  level: JsonLogLevel;
  service: string;
  /** Default: stderr, written synchronously so nothing is lost when the process exits. */
  destination?: DestinationStream;
}): Logger {
  return pino(
    {
      level: opts.level,
      base: { service: opts.service, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // A failure is logged by its class and message; ledgerflow's errors carry no personal data,
      // and stacks (which can quote a database row through a driver's message) are left out.
      serializers: { error: errorFields, err: errorFields },
    },
    opts.destination ?? pino.destination({ fd: 2, sync: true }),
  );
}

function errorFields(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const { type } = err as Error & { type?: unknown };
  return { name: err.name, message: err.message, ...(typeof type === 'string' ? { type } : {}) };
}

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * Temporal's Runtime logger over pino: the SDK's workflow and activity lines arrive with their
 * context (workflowId, runId, workflowType; activityId, activityType, attempt), which become
 * JSON fields. An activity's `workflowRunId` is logged as `runId` like a workflow's; the task
 * token (an opaque credential for completing the task) is dropped.
 */
export function temporalLogger(logger: Logger): TemporalLogger {
  const log = (level: LogLevel, message: string, meta: LogMetadata = {}) => {
    const { taskToken: _token, workflowRunId, ...rest } = meta as Record<string, unknown>;
    const fields = workflowRunId === undefined ? rest : { ...rest, runId: workflowRunId };
    logger[LEVELS[level]](fields, message);
  };
  return {
    log,
    trace: (m, meta) => log('TRACE', m, meta),
    debug: (m, meta) => log('DEBUG', m, meta),
    info: (m, meta) => log('INFO', m, meta),
    warn: (m, meta) => log('WARN', m, meta),
    error: (m, meta) => log('ERROR', m, meta),
  };
}
