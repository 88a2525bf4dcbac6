import type { EventSink, RunSummary } from '../engine/events.js';
import { barProgress, plainProgress, processOutput, summaryTable, type Output } from './progress.js';
import { monitoring, type MonitoringFlags } from './monitoring.js';

export interface CliContext {
  out: Output;
  env: NodeJS.ProcessEnv;
  /** Progress bars only on an interactive terminal; plain lines in pipelines and files. */
  interactive: boolean;
  exitCode: number;
}

export function processContext(): CliContext {
  return { out: processOutput, env: process.env, interactive: Boolean(process.stderr.isTTY), exitCode: 0 };
}

/** Runs an engine operation with progress on the way and a summary (table or --json) at the end. */
export async function runReported(ctx: CliContext, flags: { json?: unknown; quiet?: unknown } & MonitoringFlags, run: (events: EventSink) => Promise<RunSummary>): Promise<RunSummary> {
  const summary = await runWatched(ctx, flags, run, (s) => s);
  if (flags.json) ctx.out.result(JSON.stringify(summary, null, 2));
  else ctx.out.result(summaryTable(summary));
  ctx.exitCode = summary.exitCode;
  return summary;
}

/**
 * Runs an operation with what the monitoring options ask for on the way (bars, plain lines or
 * the JSON stream; the event file) and after it (the report files, from `asRun` of its result).
 */
export async function runWatched<T>(
  ctx: CliContext,
  flags: { json?: unknown; quiet?: unknown } & MonitoringFlags,
  run: (events: EventSink) => Promise<T>,
  asRun: (result: T) => RunSummary,
): Promise<T> {
  let events: EventSink = () => {};
  let stop = () => {};
  const watch = monitoring(ctx.out, flags);
  if (watch.json) {
    // --progress json: the event stream is the progress output (--quiet or not).
  } else if (!flags.quiet) {
    if (ctx.interactive && !flags.json && flags.progress !== 'plain') {
      const bars = barProgress();
      const plain = plainProgress(ctx.out, { intervalMs: watch.intervalMs });
      events = (ev) => {
        bars.events(ev);
        // Bars cannot show why a document was rejected or that a collection failed.
        if (ev.type === 'reject' || (ev.type === 'collection-end' && ev.summary.status === 'failed')) plain(ev);
      };
      stop = bars.stop;
    } else {
      events = plainProgress(ctx.out, { intervalMs: watch.intervalMs });
    }
  }
  const shown = events;
  events = (ev) => {
    shown(ev);
    watch.events(ev);
  };
  let result: T;
  watch.start();
  try {
    result = await run(events);
  } catch (err) {
    stop();
    watch.close();
    throw err;
  }
  stop();
  await watch.finish(asRun(result));
  return result;
}
