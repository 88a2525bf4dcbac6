/**
 * What a run shows while it works and leaves behind, from the monitoring options: the progress
 * format (bars, plain lines or JSON events), the event file and the report files.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { UsageError } from '../core/errors.js';
import { redact } from '../core/secrets.js';
import type { EventSink, Operation, RunSummary } from '../engine/events.js';
import { eventStream, recordLine, DEFAULT_STATS_INTERVAL_MS, type StreamRecord } from '../engine/events-stream.js';
import { REPORT_SAMPLE_MS, writeReports } from '../report/write.js';
import type { Output } from '../engine/progress-lines.js';

export interface MonitoringFlags {
  progress?: unknown;
  events?: unknown;
  progressInterval?: unknown;
  reportHtml?: unknown;
  reportMd?: unknown;
}

export interface Monitoring {
  /** Feed the engine's events here. */
  events: EventSink;
  /** progress json: the stream replaces the human progress lines. */
  json: boolean;
  intervalMs: number;
  start(): void;
  finish(summary: RunSummary): Promise<void>;
  /** Closes the event file even when the run threw. */
  close(): void;
}

/** The command of a run, told by the option naming its first store (the commands share runReported). */
export function operationOf(flags: object): Operation {
  if ('leftType' in flags) return 'verify';
  if ('fromType' in flags) return 'migrate';
  if ('destType' in flags) return 'import';
  return 'export';
}

function stringFlag(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function monitoring(out: Output, flags: MonitoringFlags): Monitoring {
  const json = flags.progress === 'json';
  const intervalMs = typeof flags.progressInterval === 'number' ? flags.progressInterval : DEFAULT_STATS_INTERVAL_MS;
  const eventsFile = stringFlag(flags.events);
  const html = stringFlag(flags.reportHtml);
  const markdown = stringFlag(flags.reportMd);
  let fd: number | undefined;
  if (eventsFile) {
    try {
      // Synchronous writes keep the lines in order; a named pipe waits here for its reader.
      fd = openSync(eventsFile, 'w', 0o600);
    } catch (err) {
      throw new UsageError(`--events ${eventsFile}: cannot open it for writing (${(err as NodeJS.ErrnoException).code ?? String(err)}).`);
    }
  }
  const streams: ReturnType<typeof eventStream>[] = [];
  if (json || fd !== undefined) {
    streams.push(
      eventStream(
        (r) => {
          const line = redact(recordLine(r));
          if (json) out.log(line);
          if (fd !== undefined) writeSync(fd, `${line}\n`);
        },
        { intervalMs },
      ),
    );
  }
  const records: StreamRecord[] = [];
  if (html || markdown) streams.push(eventStream((r) => records.push(r), { intervalMs: REPORT_SAMPLE_MS }));
  const operation = operationOf(flags);
  const close = () => {
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
  };
  return {
    json,
    intervalMs,
    events: (ev) => {
      for (const s of streams) s.events(ev);
    },
    start: () => {
      for (const s of streams) s.start({ operation });
    },
    async finish(summary) {
      for (const s of streams) s.end(summary);
      close();
      if (html || markdown) await writeReports({ ...(html ? { html } : {}), ...(markdown ? { markdown } : {}) }, records, summary);
    },
    close,
  };
}
