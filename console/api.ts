import { session } from './storage';

/** An API answer that was not 2xx: status and the API's one-line error. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** True when this API has no such route at all (an older server): the console falls back. */
    readonly routeMissing = false,
  ) {
    super(message);
  }
}

// fastify's answer for a route it does not have: {"message": "Route GET:/… not found", …}.
const isRouteMissing = (status: number, body: { message?: unknown }) =>
  status === 404 && /^Route GET:/.test(String(body.message ?? ''));

/** GET a JSON route of the API with the signed-in key. */
export async function getJson<T>(path: string, key = session.get()): Promise<T> {
  const res = await fetch(path, {
    headers: { authorization: `Bearer ${key ?? ''}`, accept: 'application/json' },
    cache: 'no-store',
  });
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { error?: unknown; message?: unknown };
    const message = typeof body.error === 'string' ? body.error : `${res.status} ${res.statusText}`;
    throw new ApiError(res.status, message, isRouteMissing(res.status, body));
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
    if (isRouteMissing(res.status, body)) return undefined;
    throw new ApiError(res.status, typeof body.error === 'string' ? body.error : res.statusText);
  }
  const name = /filename="?([^";]+)"?/.exec(res.headers.get('content-disposition') ?? '')?.[1];
  return { blob: await res.blob(), name };
}

/** Like {@link getJson}, but undefined when this API has no such route (the caller falls back). */
export async function getJsonIfServed<T>(path: string): Promise<T | undefined> {
  try {
    return await getJson<T>(path);
  } catch (err) {
    if (err instanceof ApiError && err.routeMissing) return undefined;
    throw err;
  }
}
