import { resolve } from 'node:path';
import { UsageError } from '../../../src/core/errors.js';
import { SUBCOMMANDS } from '../../../src/options/catalogue.js';
import { connectTimeoutInput } from '../connect-timeout.js';
import { archiveList, archivePull, archivePush, type ArchiveEntry, type ArchiveTarget } from '../../../src/engine/archive.js';
import { registerArchiveSecrets } from '../../../src/stores/blob/connection.js';
import type { OperationContext, OperationResult } from '../context.js';
import { withInputNames } from '../input-names.js';

/** The task's `command` choices: `docferry archive`'s subcommands, from the option catalogue. */
export const ARCHIVE_COMMANDS = SUBCOMMANDS.archive;
export type ArchiveCommand = (typeof ARCHIVE_COMMANDS)[number];

const cell = (v: string | number) => String(v).replace(/\|/g, '\\|');

function mb(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/**
 * The container and how to reach it: a storage connection string (secret) or a SAS in the URL
 * win; else the configured Azure identity (Storage Blob Data Contributor/Reader on the container);
 * else the engine's DefaultAzureCredential (an agent's managed identity).
 */
function archiveTarget(ctx: OperationContext): ArchiveTarget {
  const { inputs } = ctx;
  // Read quietly: a SAS in the URL must be masked before task-lib's debug log could print the value.
  const containerUrl = inputs.getQuietInput('containerUrl');
  if (!containerUrl) throw new UsageError(`Input "${inputs.label('containerUrl')}" is required (https://<account>.blob.core.windows.net/<container>).`);
  const connectionString = inputs.getSecretInput('storageConnectionString');
  // The agent and the runner mask whole values; the key or SAS inside could still be printed alone.
  for (const part of connectionString?.split(';') ?? []) {
    const m = /^\s*(AccountKey|SharedAccessSignature)=(.+)$/i.exec(part);
    if (m) inputs.mask(m[2]);
  }
  const q = containerUrl.indexOf('?');
  if (q >= 0) {
    inputs.mask(containerUrl.slice(q + 1));
    const sig = new URLSearchParams(containerUrl.slice(q + 1)).get('sig');
    if (sig) inputs.mask(sig);
    const rawSig = /(?:^|&)sig=([^&]+)/i.exec(containerUrl.slice(q + 1))?.[1];
    if (rawSig) inputs.mask(rawSig);
  }
  registerArchiveSecrets({ containerUrl, ...(connectionString ? { connectionString } : {}) });
  if (connectionString || q >= 0) return { containerUrl, ...(connectionString ? { connectionString } : {}), ...connectTimeoutInput(ctx) };
  const azure = ctx.azure();
  return { containerUrl, ...(azure ? { credential: azure.credential } : {}), ...connectTimeoutInput(ctx) };
}

function listMarkdown(entries: ArchiveEntry[]): string {
  if (entries.length === 0) return 'The container holds no archived exports.';
  const rows = entries.map((e) => `| \`${cell(e.prefix)}\` | ${cell(e.exportedAt ?? '?')} | ${cell(e.sourceType ?? '?')} | ${cell(e.status)} | ${e.totalDocuments} | ${e.blobs} | ${mb(e.bytes)} |`);
  return ['| Prefix | Exported at | Source | Status | Documents | Files | Size |', '|---|---|---|---|---:|---:|---:|', ...rows].join('\n');
}

/** The archive container of export directories: push one, pull one (checked), or list them. */
async function archiveRun(ctx: OperationContext, command: ArchiveCommand): Promise<OperationResult> {
  const { inputs } = ctx;
  const target = archiveTarget(ctx);
  const prefix = inputs.getInput('prefix');
  if (command === 'push') {
    const exportDir = resolve(inputs.getRequiredInput('exportDir', 'to push (the directory an export wrote)'));
    const r = await archivePush({
      exportDir,
      target,
      events: ctx.events,
      ...(prefix ? { prefix } : {}),
      ...(inputs.getBoolInput('overwrite') ? { overwrite: true } : {}),
      ...(inputs.getBoolInput('allowPartial') ? { allowPartial: true } : {}),
    });
    for (const w of r.warnings) ctx.log.warning(w);
    return {
      title: `Archive push to ${r.container}/${r.prefix}`,
      outputs: { archivePrefix: r.prefix, exportDir },
      markdown: [`Pushed \`${exportDir}\` to \`${r.container}/${r.prefix}\`: ${r.files} files, ${mb(r.bytes)} in ${(r.durationMs / 1000).toFixed(1)} s.`],
    };
  }
  if (command === 'pull') {
    const destDir = resolve(inputs.getRequiredInput('destDir', 'to pull into (a new or empty directory)'));
    const r = await archivePull({ target, destDir, events: ctx.events, ...(prefix ? { prefix } : {}), ...(inputs.getBoolInput('allowPartial') ? { allowPartial: true } : {}) });
    for (const w of r.warnings) ctx.log.warning(w);
    const total = Object.values(r.manifest.document_counts ?? {}).reduce((n, c) => n + (c > 0 ? c : 0), 0);
    return {
      title: `Archive pull from ${r.container}/${r.prefix}`,
      outputs: { archivePrefix: r.prefix, exportDir: r.dir },
      markdown: [`Pulled \`${r.container}/${r.prefix}\` (exported ${r.manifest.exported_at ?? 'at an unknown time'}, ${total} documents) into \`${r.dir}\`: ${r.files} files, ${mb(r.bytes)}, every file checked against the manifest.`],
    };
  }
  if (command === 'list') {
    const entries = await archiveList({ target });
    const newest = entries.find((e) => e.status === 'complete');
    return {
      title: 'Archived exports',
      // The newest complete export: what a pull without a prefix would take.
      outputs: newest ? { archivePrefix: newest.prefix } : {},
      markdown: [listMarkdown(entries)],
    };
  }
  throw new UsageError(`Unknown archive command "${command}".`);
}

/** Errors and warnings name this task's inputs (`allowPartial`), not the CLI's flags. */
export function archiveOperation(ctx: OperationContext, command: ArchiveCommand): Promise<OperationResult> {
  return withInputNames('archive', (c) => archiveRun(c, command))(ctx);
}
