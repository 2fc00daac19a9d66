import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { BatchReport } from './types';

const CSV_HEADER = [
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
];

/** Writes report.csv (one line per hit, or per row without hits / rejected row) and report.json (the whole report). */
export async function writeReport(
  report: BatchReport,
  outDir: string,
): Promise<{ csv: string; json: string }> {
  await mkdir(outDir, { recursive: true });
  const lines: unknown[][] = [CSV_HEADER];
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
