/**
 * Records a run's samples for its report while it runs: the event-stream records at one stats
 * record per collection per second, from the engine's own throttled progress events.
 */
import type { EventSink, RunSummary } from '../engine/events.js';
import { eventStream, type StreamRecord } from '../engine/events-stream.js';
import { redact } from '../core/secrets.js';
import { renderHtml } from './html.js';
import { chartsMarkdown } from './markdown.js';
import { buildReport, type RunReport } from './model.js';

export const REPORT_SAMPLE_MS = 1000;

export interface ReportRecorder {
  events: EventSink;
  readonly records: readonly StreamRecord[];
  /** The Mermaid charts of the run (no tables), redacted. */
  chartsMarkdown(summary: RunSummary): string;
  /** The self-contained HTML report, redacted. */
  html(summary: RunSummary): string;
  /** What the report shows, for a page that composes several runs (the DR drill's). */
  report(summary: RunSummary): RunReport;
}

export function reportRecorder(): ReportRecorder {
  const records: StreamRecord[] = [];
  // Times count from here (the stream's creation); the operation comes from the summary at the end.
  const stream = eventStream((r) => records.push(r), { intervalMs: REPORT_SAMPLE_MS });
  return {
    events: stream.events,
    records,
    chartsMarkdown: (summary) => redact(chartsMarkdown(buildReport(records, summary))),
    html: (summary) => redact(renderHtml(buildReport(records, summary))),
    report: (summary) => buildReport(records, summary),
  };
}
