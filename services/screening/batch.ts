import { randomUUID } from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import { MATCHER_VERSION, type Thresholds } from '../../core/screening/config';
import { deterministicUuid } from '../../core/deterministic-id';
import type { Decision, Hit, ScreeningQuery } from '../../core/screening/types';
import { screeningResults } from '../../db/schema';
import type { Screening } from './deps';
import { readBatchFile, type BatchItem } from './csv-input';
import { exceptionsFor, screenAgainst } from './exceptions';
import { subjectKeyOf } from './ids';
import { writeReport } from './report';
import { persistResults } from './results';
import { requireLoadedIndex } from './screen';
import type {
  BatchProgress,
  BatchReport,
  CallContext,
  RejectedRow,
  ScreenBatchInput,
  ScreeningResult,
  VersionRef,
} from './types';

/**
 * Screens a customer CSV in chunks. Each chunk's results are stored and recorded in the
 * ledger before `heartbeat` reports the new offset, so a crashed run resumes from the last
 * heartbeat's offset with the same batch id without duplicates (ids and ledger keys are
 * derived from batch id + row).
 */
export async function screenBatch(
  s: Screening,
  input: ScreenBatchInput,
  heartbeat?: (p: BatchProgress) => void,
): Promise<BatchReport> {
  const batchId = input.batchId ?? randomUUID();
  const chunkSize = Math.max(1, Math.min(input.chunkSize ?? 200, 1000));
  const items = await readBatchFile(input.file, input.column);
  const loaded = await requireLoadedIndex(s);
  let screened = 0;
  let rejected = 0;
  for (const it of items.slice(0, input.offset ?? 0)) {
    if (it.error) rejected++;
    else screened++;
  }
  heartbeat?.({ batchId, offset: input.offset ?? 0, total: items.length, screened, rejected });
  for (let i = input.offset ?? 0; i < items.length; i += chunkSize) {
    const counts = await screenChunk(s, input, batchId, items.slice(i, i + chunkSize), loaded);
    screened += counts.screened;
    rejected += counts.rejected;
    heartbeat?.({
      batchId,
      offset: Math.min(items.length, i + chunkSize),
      total: items.length,
      screened,
      rejected,
    });
  }
  return batchReport(s, input, batchId, items, loaded.versions);
}

/** One chunk of a batch: screens and stores the rows [offset, offset + chunkSize). */
export interface BatchChunkInput extends CallContext {
  batchId: string;
  file: string;
  column?: string;
  offset: number;
  chunkSize: number;
}

/** What one chunk did, and where the next one starts. */
export interface BatchChunkResult {
  offset: number;
  nextOffset: number;
  total: number;
  screened: number;
  rejected: number;
  done: boolean;
}

/**
 * Screens one chunk of a batch and stores it (ids and ledger keys derive from batch id + row, so
 * a retried chunk writes nothing twice). The workflow keeps the offset between chunks.
 */
export async function screenBatchChunk(s: Screening, input: BatchChunkInput): Promise<BatchChunkResult> {
  const chunkSize = Math.max(1, Math.min(input.chunkSize, 1000));
  const items = await readBatchFile(input.file, input.column);
  const loaded = await requireLoadedIndex(s);
  const end = Math.min(items.length, input.offset + chunkSize);
  const counts = await screenChunk(s, input, input.batchId, items.slice(input.offset, end), loaded);
  return { offset: input.offset, nextOffset: end, total: items.length, ...counts, done: end >= items.length };
}

/** The report of a batch whose chunks are all stored (optionally written to `outDir`). */
export async function finishBatch(
  s: Screening,
  input: { batchId: string; file: string; column?: string; outDir?: string },
): Promise<BatchReport> {
  const items = await readBatchFile(input.file, input.column);
  const loaded = await requireLoadedIndex(s);
  return batchReport(s, input, input.batchId, items, loaded.versions);
}

async function screenChunk(
  s: Screening,
  call: CallContext,
  batchId: string,
  chunk: BatchItem[],
  loaded: Awaited<ReturnType<typeof requireLoadedIndex>>,
): Promise<{ screened: number; rejected: number }> {
  let screened = 0;
  let rejected = 0;
  const keys = chunk.filter((c) => c.query).map((c) => subjectKeyOf(c.subjectId, c.query!.name));
  const exceptions = await exceptionsFor(s, keys);
  const results: ScreeningResult[] = [];
  for (const it of chunk) {
    if (it.error || !it.query) {
      rejected++;
      continue;
    }
    const { decision, hits } = screenAgainst(
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
      thresholds: s.matcher.thresholds,
    });
    screened++;
  }
  await persistResults(s, call, results, batchId);
  return { screened, rejected };
}

async function batchReport(
  s: Screening,
  input: { file: string; outDir?: string },
  batchId: string,
  items: BatchItem[],
  listVersions: VersionRef[],
): Promise<BatchReport> {
  const stored = await storedRows(s, batchId, items);
  // Key order is the order of report.json.
  const report: BatchReport = {
    batchId,
    file: input.file,
    totalRows: items.length,
    screened: stored.screened,
    rejected: stored.rejected,
    decisions: stored.decisions,
    errors: stored.errors,
    listVersions,
    matcherVersion: MATCHER_VERSION,
    thresholds: s.matcher.thresholds,
    rows: stored.rows,
  };
  if (input.outDir) report.reportFiles = await writeReport(report, input.outDir);
  return report;
}

/** The report reads stored results back, so a resumed run reports every row. */
async function storedRows(s: Screening, batchId: string, items: BatchItem[]) {
  const stored = await s.db
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
  return {
    screened: items.length - errors.length,
    rejected: errors.length,
    decisions,
    errors,
    rows,
  };
}
