import { randomUUID } from 'node:crypto';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { ParsedList, ParseIssue } from '../../core/screening/types';
import type { Database } from '../../db/client';
import { screeningAlerts, screeningListEntries, screeningListVersions } from '../../db/schema';
import { screeningEvent, type Screening } from './deps';
import type { ListDiff } from './list-diff';
import { SCREENING_STREAM, type CallContext } from './types';

export type VersionRow = typeof screeningListVersions.$inferSelect;

/** The active version of a source, if any. */
export async function activeVersionOf(db: Database, source: string): Promise<VersionRow | undefined> {
  const [active] = await db
    .select()
    .from(screeningListVersions)
    .where(and(eq(screeningListVersions.source, source), eq(screeningListVersions.status, 'active')));
  return active;
}

/** The stored version of a source with this content hash, if any. */
export async function versionByHash(
  db: Database,
  source: string,
  contentHash: string,
): Promise<VersionRow | undefined> {
  const [existing] = await db
    .select()
    .from(screeningListVersions)
    .where(and(eq(screeningListVersions.source, source), eq(screeningListVersions.contentHash, contentHash)));
  return existing;
}

/** Stores a new version and its entries as `pending` (one transaction); returns its id. */
export async function storePendingVersion(
  db: Database,
  v: {
    source: string;
    contentHash: string;
    origin: string;
    etag?: string;
    parsed: ParsedList;
    diff: ListDiff;
    issues: ParseIssue[];
  },
): Promise<string> {
  const versionId = randomUUID();
  const { parsed, diff } = v;
  await db.transaction(async (tx) => {
    await tx.insert(screeningListVersions).values({
      id: versionId,
      source: v.source,
      contentHash: v.contentHash,
      origin: v.origin,
      etag: v.etag,
      entryCount: parsed.entries.length,
      added: diff.added,
      changed: diff.changed,
      removed: diff.removed,
      issueCount: v.issues.length,
      issues: v.issues.slice(0, 100),
      publishedAt: parsed.publishedAt,
      status: 'pending',
    });
    for (let i = 0; i < parsed.entries.length; i += 1000) {
      await tx.insert(screeningListEntries).values(
        parsed.entries.slice(i, i + 1000).map((e) => ({
          versionId,
          source: v.source,
          entryId: e.entryId,
          entryHash: diff.hashes.get(e.entryId)!,
          data: e,
        })),
      );
    }
  });
  return versionId;
}

/** Marks a version as waiting for confirmation (it dropped too many entries). */
export async function holdVersion(db: Database, versionId: string): Promise<void> {
  await db
    .update(screeningListVersions)
    .set({ status: 'pending_confirmation' })
    .where(eq(screeningListVersions.id, versionId));
}

/** Supersedes the source's active version, activates this one and resolves the source's alerts (one transaction). */
export async function activateVersion(
  db: Database,
  source: string,
  versionId: string,
  diff: Pick<ListDiff, 'added' | 'changed' | 'removed'>,
): Promise<VersionRow> {
  return db.transaction(async (tx) => {
    await tx
      .update(screeningListVersions)
      .set({ status: 'superseded' })
      .where(and(eq(screeningListVersions.source, source), eq(screeningListVersions.status, 'active')));
    const [v] = await tx
      .update(screeningListVersions)
      .set({
        status: 'active',
        activatedAt: sql`now()`,
        added: diff.added,
        changed: diff.changed,
        removed: diff.removed,
      })
      .where(eq(screeningListVersions.id, versionId))
      .returning();
    await tx
      .update(screeningAlerts)
      .set({ resolvedAt: sql`now()` })
      .where(and(eq(screeningAlerts.source, source), isNull(screeningAlerts.resolvedAt)));
    return v!;
  });
}

/** Records an activation in the ledger and links the version row to the event. */
export async function recordLoaded(
  s: Screening,
  call: CallContext,
  v: VersionRow,
  origin: string,
  previous?: string,
): Promise<void> {
  const r = await s.ledger.append(
    screeningEvent(s, call, {
      event_type: 'screening.list_version_loaded',
      resource: { type: 'sanctions_list', id: v.source },
      action: 'load',
      outcome: 'success',
      payload: {
        source: v.source,
        version_id: v.id,
        content_hash: v.contentHash,
        entry_count: v.entryCount,
        added: v.added,
        changed: v.changed,
        removed: v.removed,
        issue_count: v.issueCount,
        published_at: v.publishedAt ?? null,
        etag: v.etag ?? null,
        origin,
        previous_version: previous ?? null,
      },
    }),
    // One event per activation (a version can be re-activated later); a retry finds the same key.
    {
      stream: SCREENING_STREAM,
      idempotencyKey: `list-version-loaded:${v.source}:${v.contentHash}:${v.activatedAt?.toISOString() ?? 'pending'}`,
    },
  );
  if (v.ledgerSeq !== r.seq)
    await s.db
      .update(screeningListVersions)
      .set({ ledgerSeq: r.seq })
      .where(eq(screeningListVersions.id, v.id));
}
