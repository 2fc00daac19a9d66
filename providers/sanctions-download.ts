import { createHash } from 'node:crypto';
import type { ListFiles } from '../core/screening/sources';

export interface DownloadOptions {
  /** Attempts per request (first try included). */
  attempts?: number;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** First back-off; doubles per retry (Retry-After wins when the server sends one, capped). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** ETag of the last good version: a 304 means nothing changed. */
  etag?: string;
  log?: (message: string) => void;
}

export type DownloadResult =
  { status: 'not-modified'; etag?: string } | { status: 'downloaded'; files: ListFiles; etag?: string };

/** A download that failed after its retries; the caller keeps the last good version. */
export class ListDownloadError extends Error {
  constructor(
    message: string,
    readonly attempts: number,
  ) {
    super(message);
    this.name = 'ListDownloadError';
  }
}

interface Manifest {
  source?: string;
  files: Array<{ name: string; bytes?: number; sha256: string }>;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class RetryableError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

async function fetchWithRetries(
  url: string,
  headers: Record<string, string>,
  opts: Required<Omit<DownloadOptions, 'etag' | 'log'>> & { log?: (m: string) => void },
  check?: (body: string) => void,
): Promise<{ status: number; body: string; etag?: string }> {
  let lastError = 'no attempt made';
  for (let attempt = 1; attempt <= opts.attempts; attempt++) {
    try {
      let res: Response;
      try {
        res = await fetch(url, { headers, signal: AbortSignal.timeout(opts.timeoutMs) });
      } catch (err) {
        const e = err as Error;
        throw new RetryableError(
          e.name === 'TimeoutError' || e.name === 'AbortError'
            ? `timed out after ${opts.timeoutMs} ms`
            : `network error: ${e.message}`,
        );
      }
      if (res.status === 304) return { status: 304, body: '', etag: res.headers.get('etag') ?? undefined };
      if (res.status === 429 || res.status >= 500) {
        const ra = Number(res.headers.get('retry-after'));
        await res.body?.cancel().catch(() => undefined);
        throw new RetryableError(`HTTP ${res.status}`, Number.isFinite(ra) && ra > 0 ? ra * 1000 : undefined);
      }
      if (!res.ok) throw new ListDownloadError(`${url}: HTTP ${res.status}`, attempt);
      let body: string;
      try {
        body = await res.text();
      } catch (err) {
        throw new RetryableError(`body interrupted: ${(err as Error).message}`);
      }
      check?.(body);
      return { status: res.status, body, etag: res.headers.get('etag') ?? undefined };
    } catch (err) {
      if (!(err instanceof RetryableError)) throw err;
      lastError = err.message;
      if (attempt === opts.attempts) break;
      const wait = Math.min(opts.maxBackoffMs, err.retryAfterMs ?? opts.backoffMs * 2 ** (attempt - 1));
      opts.log?.(`${url}: ${err.message}; retry ${attempt}/${opts.attempts - 1} in ${wait} ms`);
      await sleep(wait);
    }
  }
  throw new ListDownloadError(`${url}: ${lastError} (after ${opts.attempts} attempts)`, opts.attempts);
}

/**
 * Downloads a list publication: `<url>/manifest.json`, then every file it names, each checked
 * against the manifest's SHA-256 (a mismatch is retried like a transient error). A URL ending
 * in .csv/.xml is fetched as a single file. Retries 5xx, 429 (honouring Retry-After), timeouts
 * and network errors with exponential back-off.
 */
export async function downloadList(url: string, options: DownloadOptions = {}): Promise<DownloadResult> {
  const opts = {
    attempts: options.attempts ?? 4,
    timeoutMs: options.timeoutMs ?? 10_000,
    backoffMs: options.backoffMs ?? 250,
    maxBackoffMs: options.maxBackoffMs ?? 5_000,
    log: options.log,
  };
  if (/\.(csv|xml)$/i.test(new URL(url).pathname)) {
    const name = decodeURIComponent(new URL(url).pathname.split('/').pop()!);
    const r = await fetchWithRetries(url, options.etag ? { 'if-none-match': options.etag } : {}, opts);
    if (r.status === 304) return { status: 'not-modified', etag: r.etag };
    return { status: 'downloaded', files: { [name]: r.body }, etag: r.etag };
  }
  const base = url.endsWith('/') ? url : `${url}/`;
  const m = await fetchWithRetries(
    `${base}manifest.json`,
    options.etag ? { 'if-none-match': options.etag } : {},
    opts,
  );
  if (m.status === 304) return { status: 'not-modified', etag: m.etag ?? options.etag };
  let manifest: Manifest;
  try {
    manifest = JSON.parse(m.body) as Manifest;
    if (!Array.isArray(manifest.files) || manifest.files.length === 0) throw new Error('no files');
  } catch (err) {
    throw new ListDownloadError(`${base}manifest.json: not a list manifest (${(err as Error).message})`, 1);
  }
  const files: ListFiles = {};
  for (const f of manifest.files) {
    if (!/^[\w.-]+$/.test(f.name)) throw new ListDownloadError(`manifest names an unsafe file: ${f.name}`, 1);
    const r = await fetchWithRetries(`${base}${encodeURIComponent(f.name)}`, {}, opts, (body) => {
      const got = sha256(body);
      if (got !== f.sha256)
        throw new RetryableError(
          `${f.name}: SHA-256 ${got.slice(0, 12)}… does not match the manifest's ${f.sha256.slice(0, 12)}…`,
        );
    });
    files[f.name] = r.body;
  }
  return { status: 'downloaded', files, etag: m.etag };
}
