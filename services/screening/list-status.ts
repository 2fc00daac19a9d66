import { asc, desc, isNull } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { screeningAlerts, screeningListVersions } from '../../db/schema';

/** Every stored list version (newest first per source) and the open ingestion alerts. */
export async function listStatus(db: Database) {
  const versions = await db
    .select()
    .from(screeningListVersions)
    .orderBy(asc(screeningListVersions.source), desc(screeningListVersions.loadedAt));
  const alerts = await db
    .select()
    .from(screeningAlerts)
    .where(isNull(screeningAlerts.resolvedAt))
    .orderBy(desc(screeningAlerts.createdAt));
  return {
    versions: versions.map((v) => ({
      source: v.source,
      id: v.id,
      status: v.status,
      contentHash: v.contentHash,
      entryCount: v.entryCount,
      added: v.added,
      changed: v.changed,
      removed: v.removed,
      issueCount: v.issueCount,
      origin: v.origin,
      etag: v.etag,
      loadedAt: v.loadedAt.toISOString(),
      activatedAt: v.activatedAt?.toISOString() ?? null,
    })),
    openAlerts: alerts.map((a) => ({
      source: a.source,
      kind: a.kind,
      message: a.message,
      createdAt: a.createdAt.toISOString(),
    })),
  };
}

export type ListStatus = Awaited<ReturnType<typeof listStatus>>;
