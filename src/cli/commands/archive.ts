/**
 * `docferry archive push|pull|list`: export directories to and from a Blob Storage container.
 * The work is src/engine/archive.ts; this file parses flags and prints results.
 */
import type { Command } from 'commander';
import { ExitCode } from '../../core/errors.js';
import { registerSecret } from '../../core/secrets.js';
import type { ArchiveEntry, ArchiveTarget } from '../../engine/archive.js';
import { ignoreEvents, type EventSink } from '../../engine/events.js';
import type { CliContext } from '../context.js';
import { ARCHIVE_CONNECTION_STRING_ENV } from '../../options/catalogue.js';
import { addSubcommandOptions } from '../options.js';
import { plainProgress } from '../progress.js';

export const CONNECTION_STRING_ENV = ARCHIVE_CONNECTION_STRING_ENV;

interface TargetFlags {
  containerUrl: string;
  connectionString?: string;
  connectTimeout?: number;
}

interface PushFlags extends TargetFlags {
  exportDir: string;
  prefix?: string;
  overwrite?: boolean;
  allowPartial?: boolean;
  createContainer?: boolean;
  concurrency?: number;
  json?: boolean;
  quiet?: boolean;
}

interface PullFlags extends TargetFlags {
  destDir: string;
  prefix?: string;
  allowPartial?: boolean;
  concurrency?: number;
  json?: boolean;
  quiet?: boolean;
}

interface ListFlags extends TargetFlags {
  json?: boolean;
}

/** A connection string (flag, then environment) wins; otherwise a SAS in the URL; otherwise Entra ID. */
function targetFrom(flags: TargetFlags, ctx: CliContext): ArchiveTarget {
  const connectionString = flags.connectionString ?? (ctx.env[CONNECTION_STRING_ENV] || undefined);
  registerSecret(connectionString);
  return { containerUrl: flags.containerUrl, ...(connectionString ? { connectionString } : {}), ...(flags.connectTimeout !== undefined ? { connectTimeoutMs: flags.connectTimeout } : {}) };
}

function eventsFor(ctx: CliContext, flags: { quiet?: boolean }): EventSink {
  return flags.quiet ? ignoreEvents : plainProgress(ctx.out);
}

function mb(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function sourceLabel(e: ArchiveEntry): string {
  if (!e.sourceType) return '-';
  if (!e.sourceEndpoint) return e.sourceType;
  try {
    return `${e.sourceType} ${new URL(e.sourceEndpoint).hostname}`;
  } catch {
    return e.sourceType;
  }
}

export function archiveTable(entries: readonly ArchiveEntry[], container: string): string {
  if (entries.length === 0) return `No archived exports in ${container}.`;
  const header = ['prefix', 'exported at', 'source', 'status', 'documents', 'collections', 'size'];
  const rows = entries.map((e) => [
    e.prefix,
    e.exportedAt ?? '-',
    sourceLabel(e),
    e.legacy ? `${e.status} (legacy)` : e.status,
    e.status === 'incomplete' || e.status === 'unreadable' ? '-' : String(e.totalDocuments),
    e.status === 'incomplete' || e.status === 'unreadable' ? '-' : String(Object.keys(e.documentCounts).length),
    mb(e.bytes),
  ]);
  const numeric = new Set([4, 5, 6]);
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  const notes = entries.filter((e) => e.note).map((e) => `${e.prefix}: ${e.note!.split('\n')[0]}`);
  const complete = entries.filter((e) => e.status === 'complete').length;
  return [
    fmt(header),
    ...rows.map(fmt),
    `${entries.length} archived exports in ${container}, ${complete} complete (pull takes the newest complete one unless --prefix is given).`,
    ...notes,
  ].join('\n');
}

export function registerArchiveCommand(program: Command, ctx: CliContext): void {
  const archive = program
    .command('archive')
    .description('push export directories to a Blob Storage container and pull them back, checked against the manifest both ways');

  const push = archive.command('push').description('check an export directory, upload its files (manifest.json last) under a prefix of the container');
  addSubcommandOptions(push, 'archive', 'push')
    .action(async (flags: PushFlags) => {
      const { archivePush } = await import('../../engine/archive.js');
      const result = await archivePush({
        exportDir: flags.exportDir,
        target: targetFrom(flags, ctx),
        events: eventsFor(ctx, flags),
        ...(flags.prefix !== undefined ? { prefix: flags.prefix } : {}),
        ...(flags.overwrite ? { overwrite: true } : {}),
        ...(flags.allowPartial ? { allowPartial: true } : {}),
        ...(flags.createContainer ? { createContainer: true } : {}),
        ...(flags.concurrency ? { concurrency: flags.concurrency } : {}),
      });
      if (flags.json) ctx.out.result(JSON.stringify(result, null, 2));
      else {
        ctx.out.result(
          `Pushed ${flags.exportDir} to ${result.container}/${result.prefix}: ${result.files} files, ${mb(result.bytes)} in ${(result.durationMs / 1000).toFixed(1)}s.\n` +
            `Pull it with: docferry archive pull --container-url ${result.container} --prefix ${result.prefix} --dest-dir <new directory>`,
        );
      }
      ctx.exitCode = ExitCode.ok;
    });

  const pull = archive.command('pull').description('download an archived export into a new or empty directory and check every file against its manifest');
  addSubcommandOptions(pull, 'archive', 'pull')
    .action(async (flags: PullFlags) => {
      const { archivePull } = await import('../../engine/archive.js');
      const result = await archivePull({
        target: targetFrom(flags, ctx),
        destDir: flags.destDir,
        events: eventsFor(ctx, flags),
        ...(flags.prefix !== undefined ? { prefix: flags.prefix } : {}),
        ...(flags.allowPartial ? { allowPartial: true } : {}),
        ...(flags.concurrency ? { concurrency: flags.concurrency } : {}),
      });
      if (flags.json) {
        const { manifest, ...rest } = result;
        const counts = manifest.document_counts ?? {};
        ctx.out.result(JSON.stringify({ ...rest, exportedAt: manifest.exported_at, sourceType: manifest.source_type, documentCounts: counts }, null, 2));
      } else {
        const total = Object.values(result.manifest.document_counts ?? {}).reduce((n, c) => n + (c > 0 ? c : 0), 0);
        ctx.out.result(
          `Pulled ${result.container}/${result.prefix} (exported ${result.manifest.exported_at ?? 'at an unknown time'}, ${total} documents) into ${flags.destDir}: ` +
            `${result.files} files, ${mb(result.bytes)}, every file checked against the manifest.\n` +
            `Import it with: docferry import --export-dir ${flags.destDir} --dest-type cosmos|mongodb ...`,
        );
      }
      ctx.exitCode = ExitCode.ok;
    });

  const list = archive.command('list').description('list the archived exports in a container with their manifest summary');
  addSubcommandOptions(list, 'archive', 'list')
    .action(async (flags: ListFlags) => {
      const target = targetFrom(flags, ctx);
      const { archiveList } = await import('../../engine/archive.js');
      const entries = await archiveList({ target });
      if (flags.json) ctx.out.result(JSON.stringify(entries, null, 2));
      else ctx.out.result(archiveTable(entries, containerLabel(flags.containerUrl)));
      ctx.exitCode = ExitCode.ok;
    });
}

/** The container as typed, without a SAS query. */
function containerLabel(containerUrl: string): string {
  const q = containerUrl.indexOf('?');
  return q >= 0 ? containerUrl.slice(0, q) : containerUrl;
}
