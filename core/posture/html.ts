import type { PostureReport } from './types';

const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/** A self-contained HTML page of a report (every value escaped), for auditors. */
export function renderPostureHtml(
  report: PostureReport,
  stored: { stream: string; seq: number; key_id: string },
): string {
  const rows = report.results
    .map(
      (r) => `<tr class="${r.status}"><td>${esc(r.control.id)}</td><td>${esc(r.control.title)}</td>
<td>${esc(r.control.frameworks.map((f) => `${f.framework} ${f.ref}`).join('; '))}</td>
<td>${r.status.toUpperCase()}</td><td>${esc(r.detail)}</td>
<td><details><summary>${esc(r.evidence.at)}</summary><pre>${esc(r.evidence.probe)}</pre><pre>${esc(
        JSON.stringify(r.evidence.observed, null, 2),
      )}</pre></details></td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ledgerflow posture ${esc(report.generated_at)}</title>
<style>body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px;vertical-align:top}
tr.pass td:nth-child(4){color:#070}tr.fail td:nth-child(4),tr.error td:nth-child(4){color:#b00;font-weight:bold}</style></head>
<body><h1>ledgerflow posture: ${report.ok ? 'OK' : 'FAILING'}</h1>
<p>Generated ${esc(report.generated_at)} for ${esc(report.requested_by)}: ${report.summary.pass} pass, ${report.summary.fail} fail, ${report.summary.error} error.
Stored as ledger event ${esc(stored.stream)}#${stored.seq}, signed with key ${esc(stored.key_id)}.</p>
<table><thead><tr><th>control</th><th>title</th><th>frameworks</th><th>status</th><th>detail</th><th>evidence</th></tr></thead>
<tbody>
${rows}
</tbody></table></body></html>
`;
}
