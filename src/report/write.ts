/** Writes the run report files a run asked for (--report-html, --report-md). */
import { writeFile } from 'node:fs/promises';
import type { RunSummary } from '../engine/events.js';
import type { StreamRecord } from '../engine/events-stream.js';
import { redact } from '../core/secrets.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import { buildReport } from './model.js';

export { REPORT_SAMPLE_MS } from './recorder.js';

export interface ReportFiles {
  html?: string;
  markdown?: string;
}

export async function writeReports(files: ReportFiles, records: readonly StreamRecord[], summary: RunSummary): Promise<void> {
  const report = buildReport(records, summary);
  if (files.html) await writeFile(files.html, redact(renderHtml(report)), { mode: 0o600 });
  if (files.markdown) await writeFile(files.markdown, redact(renderMarkdown(report)), { mode: 0o600 });
}
