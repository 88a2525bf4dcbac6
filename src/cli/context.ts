import type { EventSink, RunSummary } from '../engine/events.js';
import { barProgress, plainProgress, processOutput, summaryTable, type Output } from './progress.js';

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
export async function runReported(ctx: CliContext, flags: { json?: unknown; quiet?: unknown }, run: (events: EventSink) => Promise<RunSummary>): Promise<RunSummary> {
  let events: EventSink = () => {};
  let stop = () => {};
  if (!flags.quiet) {
    if (ctx.interactive && !flags.json) {
      const bars = barProgress();
      const plain = plainProgress(ctx.out);
      events = (ev) => {
        bars.events(ev);
        // Bars cannot show why a document was rejected or that a collection failed.
        if (ev.type === 'reject' || (ev.type === 'collection-end' && ev.summary.status === 'failed')) plain(ev);
      };
      stop = bars.stop;
    } else {
      events = plainProgress(ctx.out);
    }
  }
  let summary: RunSummary;
  try {
    summary = await run(events);
  } finally {
    stop();
  }
  if (flags.json) ctx.out.result(JSON.stringify(summary, null, 2));
  else ctx.out.result(summaryTable(summary));
  ctx.exitCode = summary.exitCode;
  return summary;
}
