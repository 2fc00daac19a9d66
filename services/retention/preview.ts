import type { ClassPreview } from '../../core/retention';
import type { Database } from '../../db/client';
import { rethrow } from './errors';

/** What a purge would do: expired, purgeable and held rows per data class as of a time. */

/** Data classes some active policy covers. */
export async function coveredClasses(db: Database): Promise<string[]> {
  const r = await db.$client.query<{ c: string }>(
    `SELECT DISTINCT unnest(p.data_classes) AS c
       FROM (SELECT DISTINCT ON (policy_id) * FROM retention_policies ORDER BY policy_id, version DESC) p
      WHERE NOT p.retired ORDER BY 1`,
  );
  return r.rows.map((x) => x.c);
}

export async function previewClass(db: Database, dataClass: string, asOf: string): Promise<ClassPreview> {
  try {
    const r = await db.$client.query<{ p: ClassPreview }>(
      'SELECT retention_preview($1, $2::timestamptz) AS p',
      [dataClass, asOf],
    );
    return r.rows[0]!.p;
  } catch (err) {
    rethrow(err);
  }
}

/**
 * Previews of `dataClasses` (default: every class a policy covers) as of `asOf`; `onEach` runs
 * after each class (the activity heartbeats there).
 */
export async function previewClasses(
  db: Database,
  input: { asOf: string; dataClasses?: string[] },
  onEach: () => void = () => undefined,
): Promise<ClassPreview[]> {
  const classes = input.dataClasses ?? (await coveredClasses(db));
  const out: ClassPreview[] = [];
  for (const c of classes) {
    out.push(await previewClass(db, c, input.asOf));
    onEach();
  }
  return out;
}
