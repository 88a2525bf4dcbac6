/**
 * The run report as ONE self-contained HTML file: inline CSS and SVG charts, no script, no
 * font or image to fetch, so it opens offline and as a pipeline attachment.
 */
import { bytesText, secondsText, totalsText, verifyRows, VERIFY_HEADER, RETRY_HEADER, retryRows, type ReportCollection, type RunReport } from './model.js';
import { chartSvg, escapeXml } from './svg.js';

function row(cells: (string | number)[], tag = 'td'): string {
  return `<tr>${cells.map((c) => `<${tag}>${escapeXml(String(c))}</${tag}>`).join('')}</tr>`;
}

function collectionRows(c: ReportCollection): string {
  const main = row([
    c.name,
    c.read,
    c.written,
    c.skipped,
    c.rejected,
    secondsText(c.durationMs),
    bytesText(c.bytes),
    c.requestCharge !== undefined ? Math.round(c.requestCharge) : '–',
    c.throttled ?? '–',
    c.status === 'ok' ? 'ok' : `FAILED: ${c.error ?? ''}`,
  ]);
  const reasons = c.rejectReasons.map((r) => `<tr class="reason"><td></td><td colspan="9">${r.count} × ${escapeXml(r.reason)}</td></tr>`).join('');
  return main + reasons;
}

/** The charts a report shows (both renderers use the same list). */
export function chartsOf(r: RunReport): { title: string; unit: string; series: RunReport['docsPerSecond']; kind?: 'bar'; dashed?: string[] }[] {
  const docs = r.operation === 'verify' ? 'Documents compared per second (both sides), per collection' : 'Documents per second, per collection';
  const charts: ReturnType<typeof chartsOf> = [{ title: docs, unit: 'docs/s', series: r.docsPerSecond }];
  if (r.ruPerSecond.length > 0) charts.push({ title: 'Request units per second against the budget', unit: 'RU/s', series: r.ruPerSecond, dashed: ['budget'] });
  if (r.throttled.length > 0) charts.push({ title: `Throttled requests (429) per ${r.bucketSeconds} s`, unit: '429s', series: r.throttled, kind: 'bar' });
  if (r.concurrency.length > 0) charts.push({ title: 'Concurrency the RU controller chose', unit: 'requests in flight', series: r.concurrency });
  if (r.retriesOverTime.length > 0) charts.push({ title: `Retries other than 429 per ${r.bucketSeconds} s, by kind`, unit: 'operations', series: r.retriesOverTime });
  return charts;
}

/** The charts alone, as inline SVG figures, for a page that has its own tables (the DR drill's). */
export function chartsHtml(r: RunReport): string {
  return chartsOf(r)
    .map((c) => `<figure>${chartSvg({ title: c.title, unit: c.unit, series: c.series, ...(c.kind ? { kind: c.kind } : {}), ...(c.dashed ? { dashed: c.dashed } : {}) })}</figure>`)
    .join('\n');
}

/** The page's style, shared with the pages that embed the charts. */
export const REPORT_CSS = `body{font-family:sans-serif;margin:24px;color:#222;max-width:1000px}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse;font-size:13px}td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:right}
td:first-child,th:first-child,td:last-child,th:last-child{text-align:left}
tr.reason td{color:#a33;text-align:left;font-size:12px;border-bottom:none}
figure{margin:12px 0}.ok{color:#2a7a2a}.bad{color:#b22}`;

export function renderHtml(r: RunReport): string {
  const charts = chartsHtml(r);
  const verify = r.verify
    ? `<h2>Verify: ${r.verify.equal ? 'equal' : 'DIFFERENCES'}</h2><table><thead>${row(VERIFY_HEADER, 'th')}</thead><tbody>${verifyRows(r.verify)
        .map((cells) => row(cells))
        .join('')}</tbody></table><p>Compared by ${escapeXml(r.verify.mode)}.</p>`
    : '';
  const retries = r.retries.length > 0 ? `<h2>Retries by kind</h2><table><thead>${row(RETRY_HEADER, 'th')}</thead><tbody>${retryRows(r).map((cells) => row(cells)).join('')}</tbody></table>` : '';
  const collections =
    r.collections.length > 0
      ? `<h2>Collections</h2>
<table><thead>${row(['collection', 'read', 'written', 'skipped', 'rejected', 'time', 'bytes', 'RU', '429s', 'status'], 'th')}</thead><tbody>
${r.collections.map(collectionRows).join('\n')}
</tbody></table>`
      : '';
  const warnings = r.warnings.length > 0 ? `<h2>Warnings</h2><ul>${r.warnings.map((w) => `<li>${escapeXml(w)}</li>`).join('')}</ul>` : '';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>docferry ${escapeXml(r.operation)} report</title>
<style>
${REPORT_CSS}
</style></head><body>
<h1>docferry ${escapeXml(r.operation)}: <span class="${r.exitCode === 0 ? 'ok' : 'bad'}">exit ${r.exitCode}</span></h1>
<p>${escapeXml(r.source)} → ${escapeXml(r.target)}<br>started ${escapeXml(r.startedAt)}, took ${secondsText(r.durationMs)}: ${escapeXml(totalsText(r))}</p>
<h2>Over time</h2>
${charts}
${collections}
${retries}
${verify}
${warnings}
</body></html>
`;
}
