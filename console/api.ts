import { session } from './storage';

/** An API answer that was not 2xx: status and the API's one-line error. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** GET a JSON route of the API with the signed-in key. */
export async function getJson<T>(path: string, key = session.get()): Promise<T> {
  const res = await fetch(path, {
    headers: { authorization: `Bearer ${key ?? ''}`, accept: 'application/json' },
    cache: 'no-store',
  });
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      const body = (await res.json()) as { error?: unknown };
      if (typeof body.error === 'string') message = body.error;
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(res.status, message);
  }
  return (await res.json()) as T;
}

/** A query string of the non-empty values. */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/**
 * GET a route whose answer is a file (an export) with the signed-in key: its body and the file
 * name the server suggests, or undefined when this API has no such route (fastify's own 404).
 */
export async function getFile(path: string): Promise<{ blob: Blob; name?: string } | undefined> {
  const res = await fetch(path, {
    headers: { authorization: `Bearer ${session.get() ?? ''}` },
    cache: 'no-store',
  });
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { error?: unknown; message?: unknown };
    // fastify's answer for a route it does not have: {"message": "Route GET:/… not found", …}.
    if (res.status === 404 && /^Route GET:/.test(String(body.message ?? ''))) return undefined;
    throw new ApiError(res.status, typeof body.error === 'string' ? body.error : res.statusText);
  }
  const name = /filename="?([^";]+)"?/.exec(res.headers.get('content-disposition') ?? '')?.[1];
  return { blob: await res.blob(), name };
}
