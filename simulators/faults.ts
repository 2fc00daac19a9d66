import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Fault injection for the simulated providers. Counts are per request identity (the
 * Idempotency-Key, else method + URL), so "the first N calls of each request fail" holds under
 * concurrency: attempt 1..timeoutFirst hang, then fail5xxFirst answer 503, then rateLimitFirst
 * answer 429 with Retry-After, then malformedFirst answer 200 with a body that is not the contract.
 */
export interface FaultConfig {
  /** Added to every response. */
  latencyMs?: number;
  timeoutFirst?: number;
  /** How long a "timeout" hangs before answering (longer than the client's timeout). */
  hangMs?: number;
  fail5xxFirst?: number;
  rateLimitFirst?: number;
  retryAfterSeconds?: number;
  malformedFirst?: number;
}

/** One request as the provider saw it: what tests assert on. */
export interface CallRecord {
  at: string;
  method: string;
  path: string;
  idempotencyKey: string | null;
  attempt: number;
  status: number;
  fault: 'none' | 'timeout' | '5xx' | '429' | 'malformed';
}

export class FaultState {
  config: FaultConfig;
  readonly calls: CallRecord[] = [];
  private readonly attempts = new Map<string, number>();

  constructor(config: FaultConfig = {}) {
    this.config = { ...config };
  }

  set(config: FaultConfig): void {
    this.config = { ...config };
    this.attempts.clear();
  }

  reset(): void {
    this.calls.length = 0;
    this.attempts.clear();
  }

  /**
   * Applies the configured fault to this request. Returns true when the fault already answered
   * (the route must not), false when the route should answer normally (`malformed` tells it how).
   */
  async apply(
    req: FastifyRequest,
    reply: FastifyReply,
  ): Promise<{ handled: boolean; malformed: boolean; record: CallRecord }> {
    const c = this.config;
    const key = header(req, 'idempotency-key');
    const identity = key ?? `${req.method} ${req.url}`;
    const attempt = (this.attempts.get(identity) ?? 0) + 1;
    this.attempts.set(identity, attempt);
    const record: CallRecord = {
      at: new Date().toISOString(),
      method: req.method,
      path: req.url,
      idempotencyKey: key,
      attempt,
      status: 200,
      fault: 'none',
    };
    this.calls.push(record);
    if (c.latencyMs) await sleep(c.latencyMs);
    let n = attempt;
    if (n <= (c.timeoutFirst ?? 0)) {
      record.fault = 'timeout';
      record.status = 504;
      await sleep(c.hangMs ?? 15_000);
      await reply.code(504).send({ error: 'gateway timeout (simulated)' });
      return { handled: true, malformed: false, record };
    }
    n -= c.timeoutFirst ?? 0;
    if (n <= (c.fail5xxFirst ?? 0)) {
      record.fault = '5xx';
      record.status = 503;
      await reply.code(503).send({ error: 'service unavailable (simulated)' });
      return { handled: true, malformed: false, record };
    }
    n -= c.fail5xxFirst ?? 0;
    if (n <= (c.rateLimitFirst ?? 0)) {
      record.fault = '429';
      record.status = 429;
      await reply
        .code(429)
        .header('retry-after', String(c.retryAfterSeconds ?? 1))
        .send({ error: 'rate limited (simulated)' });
      return { handled: true, malformed: false, record };
    }
    n -= c.rateLimitFirst ?? 0;
    if (n <= (c.malformedFirst ?? 0)) {
      record.fault = 'malformed';
      return { handled: false, malformed: true, record };
    }
    return { handled: false, malformed: false, record };
  }
}

export function header(req: FastifyRequest, name: string): string | null {
  const v = req.headers[name];
  return typeof v === 'string' && v.length > 0 ? v : null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A deterministic number in [0, mod) derived from a seed string. */
export function seeded(seed: string, salt: string, mod: number): number {
  const h = createHash('sha256').update(`${salt}:${seed}`).digest();
  return h.readUInt32BE(0) % mod;
}

/** Pick a deterministic element of a list. */
export function pick<T>(list: readonly T[], seed: string, salt: string): T {
  return list[seeded(seed, salt, list.length)] as T;
}
