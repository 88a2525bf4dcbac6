/**
 * The library API: `exportData`, `importData`, `migrate` and `verify`, with the options of the
 * CLI commands under their catalogue keys (src/api/catalogue-options.ts), progress as engine
 * events (`onEvent`), cancellation through `signal`, and the summary the CLI prints with `--json`
 * as the result. Nothing here prints, reads process.env or calls process.exit. See docs/api.md.
 */
import { UsageError, abortErrorOf } from '../core/errors.js';
import { defaultLayoutPath, loadLayout, parseLayout, type Layout } from '../core/layout.js';
import { defaultExportDirName, type JsonFormat } from '../core/manifest.js';
import type { EngineEvent, EventSink, RunSummary } from '../engine/events.js';
import type { ExportOptions, LayoutRef } from '../engine/export.js';
import type { ImportOptions } from '../engine/import.js';
import type { MigrateOptions } from '../engine/migrate.js';
import type { RunMode } from '../engine/mirror.js';
import type { VerifyOptions, VerifySummary } from '../engine/verify.js';
import { sidesOf, type Side, type TransferCommand } from '../options/catalogue.js';
import { discoveryFrom, filterFrom, foreignFilesOf, mirrorFrom, runControlFrom, shardFrom, tuningFrom, type OptionValues } from '../options/values.js';
import { API_FUNCTIONS, readApiOptions } from './catalogue-options.js';
import type { ExportCatalogueOptions, ImportCatalogueOptions, MigrateCatalogueOptions, VerifyCatalogueOptions } from './options.generated.js';
import { databaseSpecOf, verifySideOf, type CosmosCredential } from './specs.js';

/** What every API call takes beside the catalogue options. */
export interface RunControlOptions {
  /**
   * Progress: the engine's events (collection-start, progress, reject, warning, info,
   * collection-end), called synchronously as the run goes; keep it quick. An exception thrown
   * here is not the run's: it is caught and ignored, so a faulty listener cannot fail a run.
   */
  onEvent?: (event: EngineEvent) => void;
  /**
   * Cancels the run: reading stops at the next document, the batches in flight settle, the
   * checkpoint stays consistent, and the call rejects with an AbortError (exitCode 130). The same
   * call with `resume: true` continues it. Aborted before the call: it rejects at once.
   */
  signal?: AbortSignal;
  /**
   * The layout as an object (e.g. from `loadLayout()` or built in code), instead of `layoutFile`.
   * Neither: the built-in layout (layouts/default.json), as the CLI.
   */
  layout?: Layout;
}

/** Options of {@link exportData}: `docferry export`'s, plus an Entra ID credential for a Cosmos DB source. */
export interface ExportDataOptions extends ExportCatalogueOptions, RunControlOptions {
  /** A Cosmos DB source's Entra ID credential (TokenCredential); wins over `cosmosKey` and `useRbac`. */
  cosmosCredential?: CosmosCredential;
}

/** Options of {@link importData}: `docferry import`'s, plus an Entra ID credential for a Cosmos DB target. */
export interface ImportDataOptions extends ImportCatalogueOptions, RunControlOptions {
  /** A Cosmos DB target's Entra ID credential (TokenCredential); wins over `cosmosKey` and `useRbac`. */
  cosmosCredential?: CosmosCredential;
}

/** Options of {@link migrate}: `docferry migrate`'s, plus Entra ID credentials for Cosmos DB sides. */
export interface MigrateDataOptions extends MigrateCatalogueOptions, RunControlOptions {
  /** The Cosmos DB source's Entra ID credential; wins over `fromCosmosKey` and `fromUseRbac`. */
  fromCosmosCredential?: CosmosCredential;
  /** The Cosmos DB target's Entra ID credential; wins over `toCosmosKey` and `toUseRbac`. */
  toCosmosCredential?: CosmosCredential;
}

/** Options of {@link verify}: `docferry verify`'s, plus Entra ID credentials for Cosmos DB sides. */
export interface VerifyDataOptions extends VerifyCatalogueOptions, RunControlOptions {
  /** The left Cosmos DB side's Entra ID credential; wins over `leftCosmosKey` and `leftUseRbac`. */
  leftCosmosCredential?: CosmosCredential;
  /** The right Cosmos DB side's Entra ID credential; wins over `rightCosmosKey` and `rightUseRbac`. */
  rightCosmosCredential?: CosmosCredential;
}

/** A call's options read and checked: catalogue values, the extras, and the layout. */
export interface ReadCall {
  values: OptionValues;
  extras: Readonly<Record<string, unknown>>;
  layout: LayoutRef;
  events: EventSink;
  signal?: AbortSignal;
}

function layoutOf(fn: string, values: OptionValues, given: Layout | undefined): LayoutRef {
  const file = values.layoutFile as string | undefined;
  if (given !== undefined && file !== undefined) throw new UsageError(`${fn}: pass "layout" (an object) or "layoutFile" (a path), not both.`);
  if (given !== undefined) return { layout: parseLayout(given, `${fn}: option "layout"`), source: 'api' };
  return { layout: loadLayout(file ?? defaultLayoutPath), source: file ?? 'default' };
}

/** A listener's exception must not become the run's failure (nor escape into the engine's loops). */
function safeEvents(onEvent: unknown, fn: string): EventSink {
  if (onEvent === undefined) return () => {};
  if (typeof onEvent !== 'function') throw new UsageError(`${fn}: option "onEvent" takes a function.`);
  return (ev) => {
    try {
      (onEvent as EventSink)(ev);
    } catch {
      // Ignored by design: see RunControlOptions.onEvent.
    }
  };
}

/** Reads a call's options; refuses an already aborted signal before anything is opened. */
export function readCall(command: TransferCommand, options: object): ReadCall {
  const fn = API_FUNCTIONS[command];
  const o = (options ?? {}) as RunControlOptions & Record<string, unknown>;
  const values = readApiOptions(command, o);
  const signal = o.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new UsageError(`${fn}: option "signal" takes an AbortSignal.`);
  if (signal?.aborted) throw abortErrorOf(signal);
  return { values, extras: o, layout: layoutOf(fn, values, o.layout), events: safeEvents(o.onEvent, fn), ...(signal ? { signal } : {}) };
}

const collectionsOf = (values: OptionValues) => (values.collections ? { collections: values.collections as string[] } : {});
const mapOf = (values: OptionValues) => (values.map ? { map: values.map as string[] } : {});
const signalOf = (c: ReadCall) => (c.signal ? { signal: c.signal } : {});

/** The engine's export options from an API call (also what planRun reads). */
export function exportOptionsOf(c: ReadCall): ExportOptions {
  const [source] = sidesOf('export') as [Side];
  const v = c.values;
  return {
    source: databaseSpecOf('export', v, c.extras, source),
    layout: c.layout,
    outputDir: (v.outputDir as string | undefined) ?? defaultExportDirName(),
    events: c.events,
    ...collectionsOf(v),
    ...(v.jsonFormat ? { format: v.jsonFormat as JsonFormat } : {}),
    ...(v.gzip ? { gzip: true } : {}),
    ...(v.encodeThreads ? { encodeThreads: v.encodeThreads as NonNullable<ExportOptions['encodeThreads']> } : {}),
    ...(v.overwrite ? { overwrite: true } : {}),
    ...filterFrom(v),
    ...discoveryFrom(v),
    ...runControlFrom(v),
    ...shardFrom(v),
    ...tuningFrom(v),
    ...signalOf(c),
  };
}

export function importOptionsOf(c: ReadCall): ImportOptions {
  const [target] = sidesOf('import') as [Side];
  const v = c.values;
  return {
    exportDir: v.exportDir as string,
    target: databaseSpecOf('import', v, c.extras, target),
    layout: c.layout,
    mode: v.mode as RunMode,
    events: c.events,
    ...collectionsOf(v),
    ...mapOf(v),
    ...(v.allowPartial ? { allowPartial: true } : {}),
    ...(v.rejectsDir ? { rejectsDir: v.rejectsDir as string } : {}),
    ...(v.fromRejects ? { fromRejects: v.fromRejects as string } : {}),
    ...(v.noIndexes ? { noIndexes: true } : {}),
    ...foreignFilesOf(v),
    ...runControlFrom(v),
    ...mirrorFrom(v),
    ...shardFrom(v),
    ...tuningFrom(v),
    ...signalOf(c),
  };
}

export function migrateOptionsOf(c: ReadCall): MigrateOptions {
  const [from, to] = sidesOf('migrate') as [Side, Side];
  const v = c.values;
  return {
    source: databaseSpecOf('migrate', v, c.extras, from),
    target: databaseSpecOf('migrate', v, c.extras, to),
    layout: c.layout,
    mode: v.mode as RunMode,
    events: c.events,
    ...collectionsOf(v),
    ...mapOf(v),
    ...(v.rejectsDir ? { rejectsDir: v.rejectsDir as string } : {}),
    ...(v.noIndexes ? { noIndexes: true } : {}),
    ...filterFrom(v),
    ...discoveryFrom(v),
    ...runControlFrom(v),
    ...mirrorFrom(v),
    ...shardFrom(v),
    ...tuningFrom(v),
    ...signalOf(c),
  };
}

function verifyOptionsOf(c: ReadCall): VerifyOptions {
  const [left, right] = sidesOf('verify') as [Side, Side];
  const v = c.values;
  return {
    left: verifySideOf(v, c.extras, left),
    right: verifySideOf(v, c.extras, right),
    layout: c.layout,
    events: c.events,
    ...collectionsOf(v),
    ...mapOf(v),
    ...(v.maxListed ? { maxListed: v.maxListed as number } : {}),
    ...(v.reportFile ? { reportFile: v.reportFile as string } : {}),
    ...(v.allowPartial ? { allowPartial: true } : {}),
    ...(v.ignoreExtra ? { ignoreExtra: true } : {}),
    ...filterFrom(v),
    ...discoveryFrom(v),
    ...shardFrom(v),
  };
}

/**
 * Exports collections of a Cosmos DB account or a MongoDB server to a directory of NDJSON files
 * with a checksummed manifest: `docferry export` as a function.
 *
 * @returns The run's summary, as `docferry export --json` prints it. A run that finished with
 *   rejected documents or failed collections resolves: its `exitCode` says so (3, 1).
 * @throws UsageError (exitCode 2) for bad options, AbortError (130) when `signal` aborts it,
 *   another DocferryError (1) when the run cannot go on (server unreachable, credentials refused).
 *
 * @example
 * ```ts
 * const summary = await exportData({ sourceType: 'mongodb', mongoUri: 'mongodb://localhost:27017/', outputDir: 'export-1' });
 * if (summary.exitCode !== 0) console.error(summary.collections.filter((c) => c.status === 'failed'));
 * ```
 */
export async function exportData(options: ExportDataOptions): Promise<RunSummary> {
  const { runExport } = await import('../engine/export.js');
  return runExport(exportOptionsOf(readCall('export', options)));
}

/**
 * Checks an export directory (manifest, sizes, SHA-256, counts), then imports it into Cosmos DB
 * or MongoDB: `docferry import` as a function.
 *
 * @returns The summary `docferry import --json` prints; rejects (exitCode 3), failed collections
 *   (1) and, with `verify: true`, differences (5) are in it, not thrown.
 * @throws UsageError (2), InputRefusedError (4: a missing, incomplete or altered export),
 *   AbortError (130), DocferryError (1).
 *
 * @example
 * ```ts
 * const summary = await importData({ exportDir: 'export-1', destType: 'cosmos', cosmosEndpoint, cosmosKey, mode: 'merge', maxRu: 4000 });
 * ```
 */
export async function importData(options: ImportDataOptions): Promise<RunSummary> {
  const { runImport } = await import('../engine/import.js');
  return runImport(importOptionsOf(readCall('import', options)));
}

/**
 * Moves collections straight from one database to another (Cosmos DB or MongoDB, either way):
 * `docferry migrate` as a function.
 *
 * @returns The summary `docferry migrate --json` prints (exitCode 0, 1, 3, or 5 with `verify`).
 * @throws UsageError (2), AbortError (130), DocferryError (1).
 *
 * @example
 * ```ts
 * const ac = new AbortController();
 * const summary = await migrate({ fromType: 'mongodb', fromMongoUri, toType: 'cosmos', toCosmosEndpoint, toCosmosKey, signal: ac.signal, onEvent: (e) => e.type === 'warning' && log(e.message) });
 * ```
 */
export async function migrate(options: MigrateDataOptions): Promise<RunSummary> {
  const { runMigrate } = await import('../engine/migrate.js');
  return runMigrate(migrateOptionsOf(readCall('migrate', options)));
}

/**
 * Compares two stores (Cosmos DB, MongoDB, export directory) collection by collection, by
 * per-document content digests: `docferry verify` as a function.
 *
 * @returns The summary `docferry verify --json` prints: `equal`, and `exitCode` 5 when they
 *   differ (differences are a result, not an exception).
 * @throws UsageError (2), InputRefusedError (4), AbortError (130: checked before the comparison
 *   and after it; a comparison under way is not interrupted), DocferryError (1).
 */
export async function verify(options: VerifyDataOptions): Promise<VerifySummary> {
  const call = readCall('verify', options);
  const { runVerify } = await import('../engine/verify.js');
  const summary = await runVerify(verifyOptionsOf(call));
  if (call.signal?.aborted) throw abortErrorOf(call.signal);
  return summary;
}
