import { deterministicUuid } from '../core/deterministic-id';
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { and, asc, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Actor, AuditEventInput, EventContext } from '../core/audit-event';
import { canonicalJson } from '../core/canonical-json';
import {
  checkThresholds,
  DEFAULT_MATCHER_CONFIG,
  MATCHER_VERSION,
  type MatcherConfig,
  type Thresholds,
} from '../core/screening/config';
import { ScreeningIndex } from '../core/screening/matcher';
import { normalizeName, validateName, type EntityKind } from '../core/screening/normalize';
import { SOURCE_ADAPTERS, type ListFiles } from '../core/screening/sources';
import type { Decision, Hit, ListEntry, ParseIssue, ScreeningQuery } from '../core/screening/types';
import type { Database } from '../db/client';
import {
  screeningAlerts,
  screeningExceptions,
  screeningListEntries,
  screeningListVersions,
  screeningResults,
} from '../db/schema';
import type { Ledger } from '../ledger/ledger';
import { downloadList, ListDownloadError, type DownloadOptions } from '../providers/sanctions-download';
import { readListFiles } from '../providers/sanctions-files';
import { InputError } from '../runtime/errors';

/** Ledger stream of every screening event. */
export const SCREENING_STREAM = 'screening';

export interface ScreeningActivityDeps {
  db: Database;
  ledger: Ledger;
  /** Thresholds and scorer; default {@link screeningConfigFromEnv}. */
  matcher?: MatcherConfig;
  /** A new version dropping more than this share of the active version's entries needs confirmation (default 0.1). */
  maxDropShare?: number;
  /** Who acts when the caller does not say (default the screening service). */
  actor?: Actor;
  download?: DownloadOptions;
  log?: (message: string) => void;
}

/** Caller provenance for ledger events (CLI request, workflow/activity ids...). */
export interface CallContext {
  actor?: Actor;
  context?: EventContext;
}

/** Matcher configuration from the environment: LEDGERFLOW_SCREENING_REVIEW / _BLOCK thresholds. */
export function screeningConfigFromEnv(env: NodeJS.ProcessEnv = process.env): MatcherConfig {
  const num = (name: string, fallback: number) => {
    const v = env[name];
    if (v === undefined || v === '') return fallback;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new InputError(`${name} must be a number between 0 and 1`);
    return n;
  };
  const thresholds: Thresholds = {
    review: num('LEDGERFLOW_SCREENING_REVIEW', DEFAULT_MATCHER_CONFIG.thresholds.review),
    block: num('LEDGERFLOW_SCREENING_BLOCK', DEFAULT_MATCHER_CONFIG.thresholds.block),
  };
  const bad = checkThresholds(thresholds);
  if (bad) throw new InputError(`LEDGERFLOW_SCREENING_REVIEW/BLOCK: ${bad}`);
  return { ...DEFAULT_MATCHER_CONFIG, thresholds };
}

export interface LoadListInput extends CallContext {
  /** Local file or directory. */
  path?: string;
  /** HTTP(S) URL of a published list (manifest base or single file). */
  url?: string;
  source?: string;
  /** Accept a version that drops more entries than allowed. */
  confirm?: boolean;
}

export interface VersionRef {
  id: string;
  source: string;
  contentHash: string;
  entryCount: number;
}

export interface LoadListResult {
  status: 'loaded' | 'unchanged' | 'not-modified' | 'held' | 'download_failed' | 'rejected';
  source: string;
  message: string;
  version?: VersionRef;
  /** The version screenings use after this call. */
  active?: VersionRef;
  /** The version that was active before this one was activated (for re-screening the delta). */
  previousVersionId?: string;
  added: number;
  changed: number;
  removed: number;
  issueCount: number;
  issues: ParseIssue[];
}

export interface ScreenNameInput extends CallContext {
  name: string;
  dob?: string;
  country?: string;
  kind?: EntityKind;
  /** Customer id: the key of false-positive exceptions and of re-screening. */
  subjectId?: string;
  /** Id of the stored result; activities pass one derived from their step so a retry writes nothing new. */
  resultId?: string;
}

export interface ScreeningResult {
  id: string;
  row?: number;
  subjectId?: string;
  query: ScreeningQuery;
  decision: Decision;
  hits: Hit[];
  listVersions: VersionRef[];
  matcherVersion: string;
  thresholds: Thresholds;
}

export interface RejectedRow {
  row: number;
  error: string;
}

export interface BatchProgress {
  batchId: string;
  /** Items done (resume from here). */
  offset: number;
  total: number;
  screened: number;
  rejected: number;
}

export interface ScreenBatchInput extends CallContext {
  file: string;
  /** Name column (default: name, full_name or the first column). */
  column?: string;
  /** Same id on resume; default a new one. */
  batchId?: string;
  /** Resume offset (items already done). */
  offset?: number;
  chunkSize?: number;
  /** Write report.csv and report.json here. */
  outDir?: string;
}

export interface BatchReport {
  batchId: string;
  file: string;
  totalRows: number;
  screened: number;
  rejected: number;
  decisions: Record<Decision, number>;
  errors: RejectedRow[];
  listVersions: VersionRef[];
  matcherVersion: string;
  thresholds: Thresholds;
  reportFiles?: { csv: string; json: string };
  /** One result per input row (screened or rejected), in file order. */
  rows: Array<ScreeningResult | RejectedRow>;
}

export interface FalsePositiveInput extends CallContext {
  subjectId?: string;
  name?: string;
  source: string;
  entryId: string;
  reason: string;
  reviewer: string;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** SHA-256 over the files of a publication (sorted by name), the version's identity. */
export function contentHashOf(files: ListFiles): string {
  const h = createHash('sha256');
  for (const name of Object.keys(files).sort()) h.update(`${name}\n${sha256(files[name]!)}\n`);
  return h.digest('hex');
}

export const entryHashOf = (e: ListEntry) => sha256(canonicalJson(e)).slice(0, 32);

/** Key of false-positive exceptions: the customer id, else the normalised name. */
export function subjectKeyOf(subjectId: string | undefined, name: string | undefined): string {
  if (subjectId) return `subject:${subjectId}`;
  return `name:${normalizeName(name ?? '')
    .tokens.map((t) => t.text)
    .join(' ')}`;
}

/** A stable uuid-formatted id from a string (batch rows keep their id across resumes). */
const DECISION_RANK: Record<Decision, number> = { clear: 0, review: 1, block: 2 };

interface LoadedIndex {
  key: string;
  index: ScreeningIndex;
  hashes: Map<string, string>;
  versions: VersionRef[];
}

export function createScreeningActivities(deps: ScreeningActivityDeps) {
  const { db, ledger } = deps;
  const matcher = deps.matcher ?? screeningConfigFromEnv();
  const maxDropShare = deps.maxDropShare ?? 0.1;
  const defaultActor: Actor = deps.actor ?? { type: 'service', id: 'ledgerflow-screening' };
  const log = deps.log ?? (() => undefined);
  let cache: LoadedIndex | undefined;

  const toRef = (v: { id: string; source: string; contentHash: string; entryCount: number }): VersionRef => ({
    id: v.id,
    source: v.source,
    contentHash: v.contentHash,
    entryCount: v.entryCount,
  });

  async function activeVersions(): Promise<VersionRef[]> {
    const rows = await db
      .select()
      .from(screeningListVersions)
      .where(eq(screeningListVersions.status, 'active'))
      .orderBy(asc(screeningListVersions.source));
    return rows.map(toRef);
  }

  /** The index over every active list version, rebuilt when the active set changes. */
  async function currentIndex(): Promise<LoadedIndex> {
    const versions = await activeVersions();
    const key = versions.map((v) => v.id).join(',');
    if (cache?.key === key) return cache;
    const entries: ListEntry[] = [];
    const hashes = new Map<string, string>();
    if (versions.length > 0) {
      const rows = await db
        .select({ data: screeningListEntries.data, entryHash: screeningListEntries.entryHash })
        .from(screeningListEntries)
        .where(
          inArray(
            screeningListEntries.versionId,
            versions.map((v) => v.id),
          ),
        );
      for (const r of rows) {
        const e = r.data as ListEntry;
        entries.push(e);
        hashes.set(`${e.source}:${e.entryId}`, r.entryHash);
      }
    }
    cache = { key, index: new ScreeningIndex(entries, matcher), hashes, versions };
    return cache;
  }

  async function alert(source: string, kind: string, message: string): Promise<void> {
    await db.insert(screeningAlerts).values({ source, kind, message });
    log(`ALERT [${source}] ${kind}: ${message}`);
  }

  function event(call: CallContext, e: Omit<AuditEventInput, 'actor' | 'context'>): AuditEventInput {
    // JSON round trip: drops `undefined` fields, which the payload schema does not accept.
    const payload = JSON.parse(JSON.stringify(e.payload ?? {})) as AuditEventInput['payload'];
    return { ...e, payload, actor: call.actor ?? defaultActor, context: call.context ?? {} };
  }

  async function loadList(input: LoadListInput): Promise<LoadListResult> {
    if (!input.path && !input.url) throw new InputError('give a list path or URL');
    const [activeBefore] = input.source
      ? await db
          .select()
          .from(screeningListVersions)
          .where(
            and(eq(screeningListVersions.source, input.source), eq(screeningListVersions.status, 'active')),
          )
      : [];
    let files: ListFiles;
    let source: string;
    let etag: string | undefined;
    const origin = input.url ?? path.resolve(input.path!);
    const base = { added: 0, changed: 0, removed: 0, issueCount: 0, issues: [] as ParseIssue[] };
    if (input.url) {
      source = input.source ?? '';
      if (!SOURCE_ADAPTERS[source])
        throw new InputError(`loading from a URL needs --source ${Object.keys(SOURCE_ADAPTERS).join('|')}`);
      try {
        const r = await downloadList(input.url, {
          ...deps.download,
          etag: input.confirm ? undefined : (activeBefore?.etag ?? undefined),
          log,
        });
        if (r.status === 'not-modified') {
          return {
            ...base,
            status: 'not-modified',
            source,
            message: `${source}: not modified since the active version (ETag ${r.etag})`,
            active: activeBefore ? toRef(activeBefore) : undefined,
          };
        }
        files = r.files;
        etag = r.etag;
        if (source === 'un' && !files['UN_consolidated.xml']) {
          const xml = Object.keys(files).find((n) => n.toLowerCase().endsWith('.xml'));
          if (xml) files['UN_consolidated.xml'] = files[xml]!;
        }
      } catch (err) {
        if (!(err instanceof ListDownloadError)) throw err;
        const message = `download of ${source} failed; keeping the last good version${activeBefore ? ` ${activeBefore.contentHash.slice(0, 12)}` : ' (none loaded yet)'}: ${err.message}`;
        await alert(source, 'download_failed', message);
        await ledger.append(
          event(input, {
            event_type: 'screening.list_download_failed',
            resource: { type: 'sanctions_list', id: source },
            action: 'download',
            outcome: 'error',
            payload: {
              source,
              url: input.url,
              error: err.message,
              attempts: err.attempts,
              kept_version: activeBefore?.id ?? null,
            },
          }),
          { stream: SCREENING_STREAM, idempotencyKey: `list-download-failed:${source}:${randomUUID()}` },
        );
        return {
          ...base,
          status: 'download_failed',
          source,
          message,
          active: activeBefore ? toRef(activeBefore) : undefined,
        };
      }
    } else {
      const r = await readListFiles(input.path!, input.source);
      files = r.files;
      source = r.source;
    }
    const adapter = SOURCE_ADAPTERS[source]!;
    const contentHash = contentHashOf(files);
    const [active] = await db
      .select()
      .from(screeningListVersions)
      .where(and(eq(screeningListVersions.source, source), eq(screeningListVersions.status, 'active')));
    const [existing] = await db
      .select()
      .from(screeningListVersions)
      .where(
        and(eq(screeningListVersions.source, source), eq(screeningListVersions.contentHash, contentHash)),
      );
    if (existing && existing.status === 'active') {
      // Crash recovery: activated but its ledger event not yet linked.
      if (existing.ledgerSeq === null) await recordLoaded(input, existing, origin);
      return {
        ...base,
        status: 'unchanged',
        source,
        message: `${source}: version ${contentHash.slice(0, 12)} is already active`,
        version: toRef(existing),
        active: toRef(existing),
      };
    }
    const parsed = adapter.parse(files);
    const issues = parsed.issues;
    // One entry per list id: a repeated id is a broken row, reported like the others.
    const seenIds = new Set<string>();
    parsed.entries = parsed.entries.filter((e) => {
      if (!seenIds.has(e.entryId)) return seenIds.add(e.entryId);
      issues.push({ file: source, message: `entry id ${e.entryId} appears twice; kept the first` });
      return false;
    });
    if (parsed.entries.length === 0) {
      const message = `${source}: the new version has no entries (${issues.length} issues); keeping the last good version`;
      await alert(source, 'empty_list', message);
      return {
        ...base,
        status: 'rejected',
        source,
        message,
        issueCount: issues.length,
        issues: issues.slice(0, 20),
        active: active ? toRef(active) : undefined,
      };
    }
    // Diff against the active version.
    const hashes = new Map(parsed.entries.map((e) => [e.entryId, entryHashOf(e)]));
    let added = parsed.entries.length;
    let changed = 0;
    let removed = 0;
    if (active) {
      const old = await db
        .select({ entryId: screeningListEntries.entryId, entryHash: screeningListEntries.entryHash })
        .from(screeningListEntries)
        .where(eq(screeningListEntries.versionId, active.id));
      const oldMap = new Map(old.map((o) => [o.entryId, o.entryHash]));
      added = 0;
      for (const [id, h] of hashes) {
        const o = oldMap.get(id);
        if (o === undefined) added++;
        else if (o !== h) changed++;
      }
      for (const id of oldMap.keys()) if (!hashes.has(id)) removed++;
    }
    const counts = { added, changed, removed, issueCount: issues.length, issues: issues.slice(0, 20) };
    const dropShare = active && active.entryCount > 0 ? removed / active.entryCount : 0;
    const needsConfirmation = dropShare > maxDropShare && !input.confirm;
    let versionId = existing?.id;
    if (!existing) {
      versionId = randomUUID();
      await db.transaction(async (tx) => {
        await tx.insert(screeningListVersions).values({
          id: versionId,
          source,
          contentHash,
          origin,
          etag,
          entryCount: parsed.entries.length,
          added,
          changed,
          removed,
          issueCount: issues.length,
          issues: issues.slice(0, 100),
          publishedAt: parsed.publishedAt,
          status: 'pending',
        });
        for (let i = 0; i < parsed.entries.length; i += 1000) {
          await tx.insert(screeningListEntries).values(
            parsed.entries.slice(i, i + 1000).map((e) => ({
              versionId: versionId!,
              source,
              entryId: e.entryId,
              entryHash: hashes.get(e.entryId)!,
              data: e,
            })),
          );
        }
      });
    }
    if (needsConfirmation) {
      await db
        .update(screeningListVersions)
        .set({ status: 'pending_confirmation' })
        .where(eq(screeningListVersions.id, versionId!));
      const message = `${source}: the new version drops ${removed} of ${active!.entryCount} entries (${(dropShare * 100).toFixed(1)}%, over the ${(maxDropShare * 100).toFixed(0)}% limit); kept the active version, re-run with --confirm to accept it`;
      await alert(source, 'shrink_needs_confirmation', message);
      await ledger.append(
        event(input, {
          event_type: 'screening.list_version_held',
          resource: { type: 'sanctions_list', id: source },
          action: 'load',
          outcome: 'denied',
          payload: {
            source,
            version_id: versionId!,
            content_hash: contentHash,
            entry_count: parsed.entries.length,
            added,
            changed,
            removed,
            active_version: active!.id,
            origin,
          },
        }),
        { stream: SCREENING_STREAM, idempotencyKey: `list-version-held:${source}:${contentHash}` },
      );
      return {
        ...counts,
        status: 'held',
        source,
        message,
        version: { id: versionId!, source, contentHash, entryCount: parsed.entries.length },
        active: toRef(active!),
      };
    }
    const version = await db.transaction(async (tx) => {
      await tx
        .update(screeningListVersions)
        .set({ status: 'superseded' })
        .where(and(eq(screeningListVersions.source, source), eq(screeningListVersions.status, 'active')));
      const [v] = await tx
        .update(screeningListVersions)
        .set({ status: 'active', activatedAt: sql`now()`, added, changed, removed })
        .where(eq(screeningListVersions.id, versionId!))
        .returning();
      await tx
        .update(screeningAlerts)
        .set({ resolvedAt: sql`now()` })
        .where(and(eq(screeningAlerts.source, source), isNull(screeningAlerts.resolvedAt)));
      return v!;
    });
    await recordLoaded(input, version, origin, active?.id);
    return {
      ...counts,
      previousVersionId: active?.id,
      status: 'loaded',
      source,
      message: `${source}: loaded version ${contentHash.slice(0, 12)} with ${parsed.entries.length} entries (+${added} ~${changed} -${removed}; ${issues.length} rows skipped)`,
      version: toRef(version),
      active: toRef(version),
    };
  }

  async function recordLoaded(
    call: CallContext,
    v: typeof screeningListVersions.$inferSelect,
    origin: string,
    previous?: string,
  ): Promise<void> {
    const r = await ledger.append(
      event(call, {
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
      await db
        .update(screeningListVersions)
        .set({ ledgerSeq: r.seq })
        .where(eq(screeningListVersions.id, v.id));
  }

  async function listStatus() {
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

  /** Exceptions in force for these subject keys: `subjectKey|source:entryId` -> exception. */
  async function exceptionsFor(
    keys: string[],
  ): Promise<Map<string, { id: string; entryHash: string; reason: string }>> {
    const out = new Map<string, { id: string; entryHash: string; reason: string }>();
    if (keys.length === 0) return out;
    const rows = await db
      .select()
      .from(screeningExceptions)
      .where(inArray(screeningExceptions.subjectKey, [...new Set(keys)]))
      .orderBy(asc(screeningExceptions.createdAt));
    for (const r of rows)
      out.set(`${r.subjectKey}|${r.source}:${r.entryId}`, {
        id: r.id,
        entryHash: r.entryHash,
        reason: r.reason,
      });
    return out;
  }

  function screenOne(
    loaded: LoadedIndex,
    q: ScreeningQuery,
    subjectKey: string,
    exceptions: Map<string, { id: string; entryHash: string; reason: string }>,
  ): { decision: Decision; hits: Hit[] } {
    const hits = loaded.index.screen(q);
    let decision: Decision = 'clear';
    for (const h of hits) {
      const ex = exceptions.get(`${subjectKey}|${h.source}:${h.entryId}`);
      if (ex && ex.entryHash === loaded.hashes.get(`${h.source}:${h.entryId}`)) {
        h.decision = 'clear';
        h.explanation.suppressedBy = { exceptionId: ex.id, reason: ex.reason };
      }
      if (DECISION_RANK[h.decision] > DECISION_RANK[decision]) decision = h.decision;
    }
    return { decision, hits };
  }

  function resultEvent(call: CallContext, r: ScreeningResult, batchId?: string): AuditEventInput {
    return event(call, {
      event_type: 'screening.name_screened',
      resource: { type: 'screening_result', id: r.id },
      action: 'screen',
      outcome: 'success',
      subject_id: r.subjectId ?? null,
      case_id: batchId ?? null,
      payload: {
        query: { ...r.query },
        decision: r.decision,
        top_hits: r.hits
          .slice(0, 5)
          .map((h) => ({ ...h, explanation: { ...h.explanation } })) as unknown as Record<string, never>[],
        hit_count: r.hits.length,
        list_versions: r.listVersions.map((v) => ({ ...v })),
        matcher_version: r.matcherVersion,
        thresholds: { ...r.thresholds },
        ...(batchId ? { batch_id: batchId, row: r.row ?? null } : {}),
      },
    });
  }

  /**
   * Ledger first, then the result row carrying its ledger seq (results are insert-only for the
   * app). A retry after a crash finds the same events (idempotency keys) and skips stored rows.
   */
  async function persist(call: CallContext, results: ScreeningResult[], batchId?: string): Promise<void> {
    if (results.length === 0) return;
    const appended = await ledger.appendMany(
      results.map((r) => ({
        event: resultEvent(call, r, batchId),
        idempotencyKey: `screening-result:${r.id}`,
      })),
      { stream: SCREENING_STREAM },
    );
    await db
      .insert(screeningResults)
      .values(
        results.map((r, i) => ({
          id: r.id,
          batchId: batchId ?? null,
          rowNumber: r.row ?? null,
          subjectId: r.subjectId ?? null,
          query: r.query,
          decision: r.decision,
          topScore: r.hits[0]?.score ?? null,
          hits: r.hits,
          listVersions: r.listVersions,
          matcherVersion: r.matcherVersion,
          thresholds: r.thresholds,
          ledgerSeq: appended[i]?.seq ?? null,
        })),
      )
      .onConflictDoNothing();
  }

  async function screenName(input: ScreenNameInput): Promise<ScreeningResult> {
    const bad = validateName(input.name);
    if (bad) throw new InputError(bad);
    const loaded = await currentIndex();
    if (loaded.versions.length === 0)
      throw new InputError('no sanctions list is loaded; run "ledgerflow lists load PATH|URL" first');
    const query: ScreeningQuery = {
      name: input.name,
      dob: input.dob,
      country: input.country,
      kind: input.kind,
    };
    const key = subjectKeyOf(input.subjectId, input.name);
    const { decision, hits } = screenOne(loaded, query, key, await exceptionsFor([key]));
    const result: ScreeningResult = {
      id: input.resultId ?? randomUUID(),
      subjectId: input.subjectId,
      query,
      decision,
      hits,
      listVersions: loaded.versions,
      matcherVersion: MATCHER_VERSION,
      thresholds: matcher.thresholds,
    };
    await persist(input, [result]);
    return result;
  }

  interface Item {
    row: number;
    query?: ScreeningQuery;
    subjectId?: string;
    error?: string;
  }

  /** Reads a customer CSV into items: one per data row, malformed rows as errors (the rest goes on). */
  async function readBatchFile(file: string, column?: string): Promise<Item[]> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      throw new InputError(`cannot read ${file}`);
    }
    const items: Item[] = [];
    let header: string[] | undefined;
    let nameCol = '';
    const pick = (h: string[], names: string[]) => h.find((c) => names.includes(c.trim().toLowerCase()));
    const toItem = (rec: Record<string, string>, row: number): Item => {
      const name = rec[nameCol] ?? '';
      const bad = validateName(name);
      if (bad) return { row, error: bad };
      const idCol = pick(header!, ['id', 'customer_id', 'subject_id', 'customer']);
      const dobCol = pick(header!, ['dob', 'date_of_birth', 'birth_date']);
      const cCol = pick(header!, ['country', 'nationality']);
      const kCol = pick(header!, ['type', 'kind', 'entity_type']);
      const k = kCol ? rec[kCol]?.toLowerCase() : undefined;
      const kind: EntityKind | undefined =
        k === 'person' || k === 'individual'
          ? 'person'
          : k === 'organization' || k === 'company' || k === 'entity'
            ? 'organization'
            : undefined;
      return {
        row,
        subjectId: idCol ? rec[idCol] || undefined : undefined,
        query: {
          name,
          dob: dobCol ? rec[dobCol] || undefined : undefined,
          country: cCol ? rec[cCol] || undefined : undefined,
          kind,
        },
      };
    };
    try {
      parse(text, {
        bom: true,
        skip_empty_lines: true,
        skip_records_with_error: true,
        columns: (h: string[]) => {
          header = h;
          const c = column ?? pick(h, ['name', 'full_name', 'fullname', 'customer_name']) ?? h[0];
          if (!c || !h.includes(c))
            throw new InputError(`column "${column}" is not in the header of ${file} (${h.join(', ')})`);
          nameCol = c;
          return h;
        },
        on_skip: (err: { message?: string; lines?: number } | undefined) => {
          items.push({
            row: (err?.lines ?? 0) - 1,
            error: `malformed CSV row: ${err?.message ?? 'unparseable'}`,
          });
        },
        on_record: (rec: Record<string, string>, ctx: { lines: number }) => {
          items.push(toItem(rec, ctx.lines - 1));
          return null;
        },
      });
    } catch (err) {
      if (err instanceof InputError) throw err;
      const e = err as { message?: string; lines?: number };
      if (!header) throw new InputError(`${file} is not a readable CSV file: ${e.message}`);
      items.push({
        row: (e.lines ?? 0) - 1,
        error: `malformed CSV from here on, rest of the file skipped: ${e.message}`,
      });
    }
    return items.sort((a, b) => a.row - b.row);
  }

  /**
   * Screens a customer CSV in chunks. Each chunk's results are stored and recorded in the
   * ledger before `heartbeat` reports the new offset, so a crashed run resumes from the last
   * heartbeat's offset with the same batch id without duplicates (ids and ledger keys are
   * derived from batch id + row).
   */
  async function screenBatch(
    input: ScreenBatchInput,
    heartbeat?: (p: BatchProgress) => void,
  ): Promise<BatchReport> {
    const batchId = input.batchId ?? randomUUID();
    const chunkSize = Math.max(1, Math.min(input.chunkSize ?? 200, 1000));
    const items = await readBatchFile(input.file, input.column);
    const loaded = await currentIndex();
    if (loaded.versions.length === 0)
      throw new InputError('no sanctions list is loaded; run "ledgerflow lists load PATH|URL" first');
    let screened = 0;
    let rejected = 0;
    for (const it of items.slice(0, input.offset ?? 0)) {
      if (it.error) rejected++;
      else screened++;
    }
    heartbeat?.({ batchId, offset: input.offset ?? 0, total: items.length, screened, rejected });
    for (let i = input.offset ?? 0; i < items.length; i += chunkSize) {
      const chunk = items.slice(i, i + chunkSize);
      const keys = chunk.filter((c) => c.query).map((c) => subjectKeyOf(c.subjectId, c.query!.name));
      const exceptions = await exceptionsFor(keys);
      const results: ScreeningResult[] = [];
      for (const it of chunk) {
        if (it.error || !it.query) {
          rejected++;
          continue;
        }
        const { decision, hits } = screenOne(
          loaded,
          it.query,
          subjectKeyOf(it.subjectId, it.query.name),
          exceptions,
        );
        results.push({
          id: deterministicUuid(`${batchId}:${it.row}`),
          row: it.row,
          subjectId: it.subjectId,
          query: it.query,
          decision,
          hits,
          listVersions: loaded.versions,
          matcherVersion: MATCHER_VERSION,
          thresholds: matcher.thresholds,
        });
        screened++;
      }
      await persist(input, results, batchId);
      heartbeat?.({
        batchId,
        offset: Math.min(items.length, i + chunkSize),
        total: items.length,
        screened,
        rejected,
      });
    }
    // The report reads stored results back, so a resumed run reports every row.
    const stored = await db
      .select()
      .from(screeningResults)
      .where(eq(screeningResults.batchId, batchId))
      .orderBy(asc(screeningResults.rowNumber));
    const byRow = new Map(stored.map((r) => [r.rowNumber, r]));
    const rows: Array<ScreeningResult | RejectedRow> = [];
    const decisions: Record<Decision, number> = { block: 0, review: 0, clear: 0 };
    const errors: RejectedRow[] = [];
    for (const it of items) {
      const r = byRow.get(it.row);
      if (it.error || !r) {
        const e = { row: it.row, error: it.error ?? 'not screened' };
        errors.push(e);
        rows.push(e);
        continue;
      }
      decisions[r.decision as Decision]++;
      rows.push({
        id: r.id,
        row: it.row,
        subjectId: r.subjectId ?? undefined,
        query: r.query as ScreeningQuery,
        decision: r.decision as Decision,
        hits: r.hits as Hit[],
        listVersions: r.listVersions as VersionRef[],
        matcherVersion: r.matcherVersion,
        thresholds: r.thresholds as Thresholds,
      });
    }
    const report: BatchReport = {
      batchId,
      file: input.file,
      totalRows: items.length,
      screened: items.length - errors.length,
      rejected: errors.length,
      decisions,
      errors,
      listVersions: loaded.versions,
      matcherVersion: MATCHER_VERSION,
      thresholds: matcher.thresholds,
      rows,
    };
    if (input.outDir) report.reportFiles = await writeReport(report, input.outDir);
    return report;
  }

  async function recordFalsePositive(input: FalsePositiveInput) {
    if (!input.reason?.trim()) throw new InputError('a false-positive exception needs a reason');
    if (!input.subjectId && !input.name) throw new InputError('give the subject id or the screened name');
    const loaded = await currentIndex();
    const entryHash = loaded.hashes.get(`${input.source}:${input.entryId}`);
    if (!entryHash) throw new InputError(`no entry ${input.entryId} in the active ${input.source} list`);
    const subjectKey = subjectKeyOf(input.subjectId, input.name);
    const id = randomUUID();
    const r = await ledger.append(
      event(input, {
        event_type: 'screening.false_positive_recorded',
        resource: { type: 'screening_exception', id },
        action: 'record_false_positive',
        outcome: 'success',
        subject_id: input.subjectId ?? null,
        payload: {
          subject_key: subjectKey,
          name: input.name ?? null,
          source: input.source,
          entry_id: input.entryId,
          entry_hash: entryHash,
          reason: input.reason,
          reviewer: input.reviewer,
        },
      }),
      { stream: SCREENING_STREAM, idempotencyKey: `false-positive:${id}` },
    );
    await db.insert(screeningExceptions).values({
      id,
      subjectKey,
      source: input.source,
      entryId: input.entryId,
      entryHash,
      reason: input.reason,
      reviewer: input.reviewer,
      ledgerSeq: r.seq,
    });
    return { id, subjectKey, source: input.source, entryId: input.entryId, entryHash, ledgerSeq: r.seq };
  }

  /**
   * Re-screens known subjects (latest stored query per subject id) against only the entries of
   * `source` that were added or changed between two versions. Returns the new hits.
   */
  async function rescreenChanged(
    input: CallContext & { source: string; fromVersionId?: string; toVersionId?: string },
  ) {
    const [to] = input.toVersionId
      ? await db.select().from(screeningListVersions).where(eq(screeningListVersions.id, input.toVersionId))
      : await db
          .select()
          .from(screeningListVersions)
          .where(
            and(eq(screeningListVersions.source, input.source), eq(screeningListVersions.status, 'active')),
          );
    if (!to) throw new InputError(`no active ${input.source} version`);
    const newEntries = await db
      .select()
      .from(screeningListEntries)
      .where(eq(screeningListEntries.versionId, to.id));
    const oldHashes = new Map<string, string>();
    if (input.fromVersionId) {
      for (const o of await db
        .select({ entryId: screeningListEntries.entryId, entryHash: screeningListEntries.entryHash })
        .from(screeningListEntries)
        .where(eq(screeningListEntries.versionId, input.fromVersionId)))
        oldHashes.set(o.entryId, o.entryHash);
    }
    const delta = newEntries
      .filter((e) => oldHashes.get(e.entryId) !== e.entryHash)
      .map((e) => e.data as ListEntry);
    const subjects = await db.execute<{ subject_id: string; query: ScreeningQuery }>(
      sql`SELECT DISTINCT ON (subject_id) subject_id, query FROM screening_results WHERE subject_id IS NOT NULL ORDER BY subject_id, screened_at DESC`,
    );
    if (delta.length === 0 || subjects.rows.length === 0)
      return {
        source: input.source,
        versionId: to.id,
        changedEntries: delta.length,
        subjects: subjects.rows.length,
        results: [] as ScreeningResult[],
      };
    const index = new ScreeningIndex(delta, matcher);
    const hashes = new Map(newEntries.map((e) => [`${e.source}:${e.entryId}`, e.entryHash]));
    const loaded: LoadedIndex = { key: `delta:${to.id}`, index, hashes, versions: [toRef(to)] };
    const exceptions = await exceptionsFor(subjects.rows.map((s) => subjectKeyOf(s.subject_id, undefined)));
    const results: ScreeningResult[] = [];
    for (const s of subjects.rows) {
      const { decision, hits } = screenOne(
        loaded,
        s.query,
        subjectKeyOf(s.subject_id, undefined),
        exceptions,
      );
      if (hits.length === 0) continue;
      results.push({
        id: deterministicUuid(`rescreen:${to.id}:${input.fromVersionId ?? ''}:${s.subject_id}`),
        subjectId: s.subject_id,
        query: s.query,
        decision,
        hits,
        listVersions: [toRef(to)],
        matcherVersion: MATCHER_VERSION,
        thresholds: matcher.thresholds,
      });
    }
    await persist(input, results, `rescreen:${to.id}`);
    return {
      source: input.source,
      versionId: to.id,
      changedEntries: delta.length,
      subjects: subjects.rows.length,
      results,
    };
  }

  return { loadList, listStatus, screenName, screenBatch, recordFalsePositive, rescreenChanged };
}

export type ScreeningActivities = ReturnType<typeof createScreeningActivities>;

/** One line per hit (or per row without hits / rejected row) in CSV; the whole report in JSON. */
export async function writeReport(
  report: BatchReport,
  outDir: string,
): Promise<{ csv: string; json: string }> {
  await mkdir(outDir, { recursive: true });
  const lines: unknown[][] = [
    [
      'row',
      'subject_id',
      'name',
      'row_decision',
      'source',
      'entry_id',
      'matched_name',
      'score',
      'hit_decision',
      'explanation',
      'error',
    ],
  ];
  for (const r of report.rows) {
    if ('error' in r) {
      lines.push([r.row, '', '', 'rejected', '', '', '', '', '', '', r.error]);
      continue;
    }
    if (r.hits.length === 0)
      lines.push([r.row, r.subjectId ?? '', r.query.name, r.decision, '', '', '', '', '', '', '']);
    for (const h of r.hits) {
      const pairs = h.explanation.tokenPairs
        .map((p) => `${p.query}~${p.candidate} ${p.similarity} ${p.kind}`)
        .join('; ');
      const adj = h.explanation.adjustments
        .map((a) => `${a.factor} ${a.delta > 0 ? '+' : ''}${a.delta}`)
        .join('; ');
      const sup = h.explanation.suppressedBy ? ` | false positive: ${h.explanation.suppressedBy.reason}` : '';
      lines.push([
        r.row,
        r.subjectId ?? '',
        r.query.name,
        r.decision,
        h.source,
        h.entryId,
        h.matchedName,
        h.score,
        h.decision,
        `name ${h.explanation.nameScore} [${pairs}]${adj ? ` adj [${adj}]` : ''}${sup}`,
        '',
      ]);
    }
  }
  const csvPath = path.join(outDir, 'report.csv');
  const jsonPath = path.join(outDir, 'report.json');
  await writeFile(csvPath, stringify(lines));
  await writeFile(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  return { csv: csvPath, json: jsonPath };
}
