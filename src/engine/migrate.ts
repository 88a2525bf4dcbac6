import { join } from 'node:path';
import { UsageError } from '../core/errors.js';
import { resolveScope } from '../core/layout.js';
import { defaultExportDirName } from '../core/manifest.js';
import { redactUri } from '../core/secrets.js';
import { createSink, createSource, type DatabaseSpec } from '../stores/factory.js';
import type { SinkStore, SourceStore, WriteMode } from '../stores/types.js';
import { ignoreEvents, type EventSink, type RunSummary } from './events.js';
import type { LayoutRef } from './export.js';
import { checkpointName, openRunCheckpoint, type RunCheckpoint } from './checkpoint.js';
import { pickTuning, runCollections, type TuningOptions } from './run.js';
import { withVerification } from './verify.js';

export interface MigrateOptions extends TuningOptions {
  source: DatabaseSpec;
  target: DatabaseSpec;
  /** Databases, collections and partition keys; the same names on both sides. */
  layout: LayoutRef;
  collections?: string[];
  mode: WriteMode;
  /** Default: `docferry-rejects-<UTC yyyymmddTHHMMSS>` in the working directory. */
  rejectsDir?: string;
  events?: EventSink;
  /** Continue an interrupted migrate of the same source into the same target. */
  resume?: boolean;
  /** Default: `docferry-checkpoints/migrate-<hash of source and target>` in the working directory. */
  checkpointDir?: string;
  /** Compare source and target afterwards (exit 5 on differences). */
  verify?: boolean;
  /** With `verify`: every difference to this NDJSON file. */
  reportFile?: string;
}

/** `docferry-rejects-20260212T170000`, stamped like the export directories. */
export function defaultRejectsDirName(now: Date = new Date()): string {
  return defaultExportDirName(now).replace(/^data-export-/, 'docferry-rejects-');
}

/** Where a spec points, compared without credentials, query or trailing slash. */
function address(spec: DatabaseSpec): string {
  const raw = spec.type === 'cosmos' ? spec.connection.endpoint : spec.uri;
  return `${spec.type}:${redactUri(raw).replace(/^[a-z+]+:\/\/(<redacted>@)?/i, '').replace(/[/?#].*$/, '').toLowerCase()}`;
}

/**
 * Database -> database, streaming: documents go from the source cursor through the type rules
 * straight into the target's bulk writes, with no intermediate directory. The same modes,
 * rules, rejects and summary as an import.
 */
export async function runMigrate(o: MigrateOptions): Promise<RunSummary> {
  const scopes = resolveScope(o.layout.layout, o.collections);
  if (address(o.source) === address(o.target)) {
    throw new UsageError(
      `The source and the target are the same ${o.source.type === 'cosmos' ? 'Cosmos DB account' : 'MongoDB server'} (${redactUri(o.source.type === 'cosmos' ? o.source.connection.endpoint : o.source.uri)}), and the layout names the same databases on both sides: a migrate would read and write the same collections. Check the --from-… and --to-… flags and the SRC_*/DST_* variables.`,
    );
  }
  const events = o.events ?? ignoreEvents;
  const source: SourceStore = await createSource(o.source);
  let sink: SinkStore;
  try {
    // Documents read from MongoDB carry BSON types; the Cosmos DB sink maps them by the rules.
    sink = await createSink(o.target, { bsonInput: o.source.type === 'mongodb', sourceType: o.source.type });
  } catch (err) {
    await source.close();
    throw err;
  }
  let summary: RunSummary;
  let checkpoint: RunCheckpoint | undefined;
  try {
    const checkpointDir = o.checkpointDir ?? join('docferry-checkpoints', checkpointName('migrate', address(o.source), address(o.target)));
    checkpoint = await openRunCheckpoint({
      dir: checkpointDir,
      explicit: o.checkpointDir !== undefined,
      operation: 'migrate',
      fingerprint: { source: address(o.source), target: address(o.target), mode: o.mode, restore_object_ids: o.target.type === 'mongodb' ? (o.target.restoreObjectIds ?? false) : undefined },
      resume: o.resume ?? false,
      sourceKind: source.kind,
      events,
    });
    summary = await runCollections({
      operation: 'migrate',
      source,
      sink,
      scopes,
      mode: o.mode,
      rejectsDir: o.rejectsDir ?? defaultRejectsDirName(),
      events,
      ...(checkpoint ? { checkpoint } : {}),
      ...pickTuning(o),
    });
    if (checkpoint && !summary.collections.some((c) => c.status === 'failed')) await checkpoint.remove();
    else if (checkpoint) summary = { ...summary, checkpointDir };
  } finally {
    await checkpoint?.release();
    await Promise.allSettled([source.close(), sink.close()]);
  }
  if (!o.verify) return summary;
  return withVerification(summary, { left: o.source, right: o.target, layout: o.layout, ...(o.collections ? { collections: o.collections } : {}), ...(o.reportFile ? { reportFile: o.reportFile } : {}), events });
}
