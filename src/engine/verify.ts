import { documentDigest, documentKey, type DigestMode } from '../core/digest.js';
import { DocferryError, ExitCode, UsageError, errorMessage } from '../core/errors.js';
import { filterByNames, partitionKeyFor, resolveScope, type CollectionScope } from '../core/layout.js';
import { redact } from '../core/secrets.js';
import type { OpenedSource } from '../stores/descriptor.js';
import { databaseStoreOfType, isMissingCollectionError, openStoreSource, type StoreSpec } from '../stores/registry.js';
import { NdjsonReport } from './ndjson-report.js';
import { ignoreEvents, zeroCounts, type EventSink, type RunSummary } from './events.js';
import type { LayoutRef } from './export.js';
import { forEachLimit } from '../core/concurrency.js';
import { discover, discoveryOptions, type DiscoveryOptions } from './discovery.js';
import { countWithHeadStart } from './transfer/progress.js';
import { applyNamespaceMap, describeMapping, destinationOf, destinationUnder, isEmptyMap, parseNamespaceMap, type NamespaceMap } from '../core/namespace-map.js';
import { sourceAtDestinations } from './destination.js';
import { sourceAsMerged, sourceThroughShared } from './shared.js';
import { routeShared, withoutSplitTargets } from '../core/shared.js';
import { describeFilters, type CollectionFilter } from '../core/filter.js';
import { countKey } from '../core/manifest.js';
import { anyFiltered, checkFilters, filtersByCollection, withFilters, type FilterOptions } from './filters.js';
import { refuseShardOfFiltered, shardedSides, type ShardOptions } from './shard.js';
import { storeAddress } from '../stores/registry.js';

/** A side of a verify: a database, or an export directory. */
export type VerifyEndpoint = StoreSpec;

export interface VerifyOptions extends DiscoveryOptions, FilterOptions, ShardOptions {
  /** The run before this verify (migrate --verify) already reported what discovery found: not repeated. */
  discoveryTold?: boolean;
  left: VerifyEndpoint;
  right: VerifyEndpoint;
  layout: LayoutRef;
  collections?: string[];
  /** Ids listed per kind of difference in the summary (default 20); the report file has all. */
  maxListed?: number;
  /** NDJSON file listing every difference (see docs/reliability.md). */
  reportFile?: string;
  /** Compare an export directory even when it does not match its manifest. */
  allowPartial?: boolean;
  /** Collections compared at once (default 2). */
  parallelCollections?: number;
  /** Documents only the right side holds are listed ("extra, ignored") but are no difference: a target that may hold more. */
  ignoreExtra?: boolean;
  /**
   * `--map SRC=DST` rules (src/core/namespace-map.ts): the left side is read under the source's
   * names, the right side under the mapped ones. The collections compared are the left's.
   */
  map?: string[];
  events?: EventSink;
}

export interface CollectionVerify {
  /** The left side's names. */
  database: string;
  collection: string;
  /** `--map`: the right side's names, when they differ. */
  target?: { database: string; collection: string };
  leftCount: number;
  rightCount: number;
  /** In left, not in right (the first maxListed). */
  missing: string[];
  /** In right, not in left (with `ignoreExtra`: listed, but no difference). */
  extra: string[];
  /** In both, with different content. */
  differing: string[];
  /** In both, with the same content. */
  matchedTotal: number;
  missingTotal: number;
  extraTotal: number;
  differingTotal: number;
  /** `ignoreExtra`: the extra documents were listed but not counted as a difference. */
  extraIgnored?: boolean;
  /** Things that make the sides unequal without being a document: unreadable lines, duplicate ids, an export directory's missing file. */
  problems: string[];
  /**
   * The side whose database lacks the collection: it was read as empty (a Cosmos DB 404, a
   * MongoDB collection that does not exist), so the other side's documents are missing or extra.
   * No difference by itself, except under `--strict`.
   */
  absentOn?: 'left' | 'right';
  equal: boolean;
}

export interface VerifySummary {
  operation: 'verify';
  left: string;
  right: string;
  mode: DigestMode;
  equal: boolean;
  exitCode: number;
  collections: CollectionVerify[];
  reportFile?: string;
  /** Extra documents on the right were not counted as differences. */
  ignoreExtra?: boolean;
  /** What discovery found: containers the layout names and the left lacks, or that it does not name. */
  warnings?: string[];
  /**
   * Named by the layout and held by neither side (the left's names; `target` the right's under
   * `--map`): nothing to compare, a warning, no difference (`--strict`: a failure, exit 1).
   */
  absent?: AbsentCollection[];
  /** The live sides were read through these filters (`--query`, the layout's, a subset export's): `db.coll` -> filters. */
  subset?: Record<string, CollectionFilter[]>;
  startedAt: string;
  durationMs: number;
}

const DEFAULT_MAX_LISTED = 20;

/** A collection neither side holds. */
export interface AbsentCollection {
  database: string;
  collection: string;
  target?: { database: string; collection: string };
}

function absentOf(scope: CollectionScope): AbsentCollection {
  return { database: scope.database, collection: scope.collection, ...(scope.target ? { target: scope.target } : {}) };
}

/** Told the documents read so far from both sides, per document: cheap unless it is time for an event. */
type ComparedProgress = (compared: number, force?: boolean) => void;

/** Least time between two compare-progress events of a collection (the stream and lines thin them further). */
const PROGRESS_EVERY_MS = 250;

/**
 * A collection's compare-progress events: its total is both sides' counts, when both arrive in
 * time (a slow count never holds the comparison back, as in the transfer loop).
 */
async function comparedProgress(scope: CollectionScope, left: OpenedEndpoint, right: OpenedEndpoint, events: EventSink): Promise<ComparedProgress> {
  const [l, r] = await Promise.all([countWithHeadStart(left.source, scope), countWithHeadStart(right.source, scope)]);
  const totalOf = () => (l.total !== undefined && r.total !== undefined ? l.total + r.total : undefined);
  const total = totalOf();
  events({ type: 'collection-start', database: scope.database, collection: scope.collection, ...(total !== undefined ? { total } : {}), phase: 'verify' });
  let last = Date.now();
  return (compared, force = false) => {
    // One clock read per 64 documents: the loop reads tens of thousands a second.
    if (!force && (compared & 63) !== 0) return;
    const now = Date.now();
    if (!force && now - last < PROGRESS_EVERY_MS) return;
    last = now;
    const t = totalOf();
    events({ type: 'compare-progress', database: scope.database, collection: scope.collection, compared, ...(t !== undefined ? { total: t } : {}) });
  };
}

/** Marks in the id map once the right side has been seen; real digests are 44 characters. */
const MATCHED = 'm';
const EXTRA = 'x';

type OpenedEndpoint = OpenedSource;

function openEndpoint(e: VerifyEndpoint, o: VerifyOptions): Promise<OpenedEndpoint> {
  const events = o.events ?? ignoreEvents;
  return openStoreSource(e, { ...(o.allowPartial ? { allowPartial: true } : {}), warn: (message) => events({ type: 'warning', message }) });
}

/**
 * The collections to compare: an export directory's files, else the layout's containers as
 * discovery on the left finds them. One the left lacks is compared only when the right holds it
 * (then its documents there are extra); absent on both sides, there is nothing to prove.
 */
async function scopesFor(o: VerifyOptions, map: NamespaceMap, left: OpenedEndpoint, right: OpenedEndpoint, warnings: string[], absent: AbsentCollection[]): Promise<CollectionScope[]> {
  const found = await unmappedScopes(o, map, left, right, warnings, absent);
  return routeShared(applyNamespaceMap(map, found, `the left side ${left.describe}${o.collections?.length ? ' (narrowed by --collections)' : ''}`), o.layout.layout);
}

/**
 * The collections under the left side's names. With --map, the right side's names are other
 * names: only the left's collections are compared (its files, or discovery on it). One the left
 * lacks and the right's listing lacks too goes to `absent`; when the right cannot be listed it is
 * compared, and found absent there if neither side holds it (compareCollection's `absentOn`).
 */
async function unmappedScopes(o: VerifyOptions, map: NamespaceMap, left: OpenedEndpoint, right: OpenedEndpoint, warnings: string[], absent: AbsentCollection[]): Promise<CollectionScope[]> {
  const mapped = !isEmptyMap(map);
  const fromDirs = [...(left.collections ?? []), ...(mapped ? [] : (right.collections ?? []))];
  if (left.collections === undefined && (right.collections === undefined || mapped)) {
    const events = o.events ?? ignoreEvents;
    const tell: EventSink = o.discoveryTold ? () => {} : (ev) => events(ev);
    const layoutScopes = withoutSplitTargets(resolveScope(o.layout.layout, o.collections));
    const found = await discover(left.source, o.layout.layout, layoutScopes, {
      ...discoveryOptions(o),
      narrowed: (o.collections?.length ?? 0) > 0,
      events: tell,
      absentOutcome: 'compared only when the right side holds it',
    });
    if (!o.discoveryTold) warnings.push(...found.warnings);
    if (found.absent.length === 0) return found.scopes;
    const listedRight = right.source.list ? await right.source.list().catch(() => undefined) : undefined;
    const onRight = listedRight ? new Set(listedRight.map((c) => `${c.database}.${c.collection}`)) : undefined;
    const compared = found.absent.filter((c) => {
      const there = destinationUnder(map, c);
      const held = !onRight || onRight.has(`${there.database}.${there.collection}`);
      if (!held) absent.push({ database: c.database, collection: c.collection, ...(there.database !== c.database || there.collection !== c.collection ? { target: there } : {}) });
      return held;
    });
    return layoutScopes.filter((s) => found.scopes.includes(s) || compared.some((c) => c.database === s.database && c.collection === s.collection)).concat(found.scopes.filter((s) => !layoutScopes.includes(s)));
  }
  const seen = new Set<string>();
  const unique = fromDirs.filter((c) => {
    const k = `${c.database}.${c.collection}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return filterByNames(unique, o.collections).map((c) => ({
    database: c.database,
    collection: c.collection,
    partitionKey: partitionKeyFor(o.layout.layout, c.database, c.collection),
  }));
}

/** How the collections are compared through filters: their scopes, and the side (if any) that cannot be filtered. */
interface Filtering {
  scopes: CollectionScope[];
  /** A database that cannot read the filters: it is read whole, and documents only it holds are extra, ignored. */
  unfiltered?: 'left' | 'right';
}

/**
 * The filters each collection is compared through (docs/filters.md). Two databases: `--query` and
 * the layout's filters, on both sides; when the right reads another filter language than the left
 * (migrate --verify from MongoDB into Cosmos DB), the filters are the left's, the right is read
 * whole and its extra documents are listed but no difference. An export directory and a
 * database: the export's own filters (its manifest), on the database; `--query` is refused, since
 * the files were filtered when they were written. Filtered sides are checked before anything is read.
 */
async function filteredScopes(o: VerifyOptions, left: OpenedEndpoint, right: OpenedEndpoint, scopes: CollectionScope[], warnings: string[]): Promise<Filtering> {
  const events = o.events ?? ignoreEvents;
  const warn = (message: string) => {
    events({ type: 'warning', message });
    warnings.push(message);
  };
  const sides = { left, right };
  const dirSide = left.collections !== undefined ? 'left' : right.collections !== undefined ? 'right' : undefined;
  if (dirSide && o.query) {
    throw new UsageError(`--query compares two databases through one filter; ${sides[dirSide].describe} is an export directory, whose own filters (its manifest) verify applies to the database side by itself. Leave --query out.`);
  }
  let out: CollectionScope[];
  let unfiltered: 'left' | 'right' | undefined;
  if (left.collections === undefined && right.collections === undefined) {
    out = withFilters(scopes, o.layout, o.query);
    if (anyFiltered(out) && left.filterLanguage !== right.filterLanguage) {
      unfiltered = 'right';
      warn(`The right side (${right.describe}) reads filters as ${right.filterLanguage}, not as ${left.filterLanguage}: the filters apply to the left side only, the right is read whole, and documents only the right holds are listed as extra but are no difference.`);
    }
  } else {
    const dbSide = left.collections === undefined ? 'left' : right.collections === undefined ? 'right' : undefined;
    const dir = sides[dirSide!];
    // Two export directories are compared file against file; an export that is no subset, whole.
    if (!dbSide || !dir.filters) return { scopes };
    const db = sides[dbSide];
    const language = dir.sourceType ? databaseStoreOfType(dir.sourceType).filterLanguage : undefined;
    if (language !== db.filterLanguage) {
      warn(`${dir.describe} is a subset export filtered as ${language ?? 'an unknown language'}, which ${db.describe} does not read: its collections there are read whole${dbSide === 'right' ? ', and documents outside the filter are listed as extra but are no difference' : ''}.`);
      return { scopes, ...(dbSide === 'right' ? { unfiltered: 'right' as const } : {}) };
    }
    out = scopes.map((s) => {
      const filters = dir.filters![countKey(s.database, s.collection)];
      return filters ? { ...s, filters } : s;
    });
    const filtered = filtersByCollection(out);
    if (filtered) events({ type: 'info', message: `verify: ${dir.describe} is a subset export; ${db.describe} is read through the same filters (${Object.entries(filtered).map(([n, f]) => `${n}: ${describeFilters(f)}`).join('; ')})` });
  }
  for (const side of ['left', 'right'] as const) {
    if (sides[side].collections === undefined && side !== unfiltered) await checkFilters(sides[side].source, out);
  }
  return { scopes: out, ...(unfiltered ? { unfiltered } : {}) };
}

async function compareCollection(
  scope: CollectionScope,
  left: OpenedEndpoint,
  right: OpenedEndpoint,
  mode: DigestMode,
  maxListed: number,
  report: NdjsonReport,
  ignoreExtra = false,
  unfiltered?: 'left' | 'right',
  progress: ComparedProgress = () => {},
  strict = false,
): Promise<CollectionVerify & { neither?: boolean }> {
  const result: CollectionVerify = {
    database: scope.database,
    collection: scope.collection,
    ...(scope.target ? { target: scope.target } : {}),
    leftCount: 0,
    rightCount: 0,
    missing: [],
    extra: [],
    differing: [],
    matchedTotal: 0,
    missingTotal: 0,
    extraTotal: 0,
    differingTotal: 0,
    problems: [],
    equal: true,
  };
  const dest = destinationOf(scope);
  const where = { database: scope.database, collection: scope.collection, ...(scope.target ? { target: `${dest.database}.${dest.collection}` } : {}) };
  const note = async (side: 'left' | 'right', problem: string, extra: Record<string, unknown> = {}) => {
    if (result.problems.length < maxListed) result.problems.push(`${side}: ${problem}`);
    await report.line({ type: 'problem', ...where, side, problem, ...extra });
  };
  const listed = async (kind: 'missing' | 'extra' | 'differing', id: string) => {
    result[`${kind}Total`]++;
    if (result[kind].length < maxListed) result[kind].push(id);
    await report.line({ type: kind, ...where, id, ...(kind === 'extra' && ignoreExtra ? { ignored: true } : {}) });
  };

  // Only one side is held in memory: id -> 44-character digest.
  const digests = new Map<string, string>();
  // A database side that lacks the collection reads as empty, the same on every store.
  const lacking = { left: false, right: false };
  const readSide = async (side: 'left' | 'right', ep: OpenedEndpoint, each: (key: string, digest: string) => Promise<void>) => {
    // The right side is read under the mapped names (its source translates the scope).
    const named = side === 'right' ? dest : scope;
    const name = `${named.database}.${named.collection}`;
    if (ep.collections && !ep.collections.some((c) => c.database === named.database && c.collection === named.collection)) {
      await note(side, `${ep.describe} holds no ${name}`);
      return;
    }
    const { filters: _filters, ...whole } = scope;
    void _filters;
    let read = 0;
    try {
      for await (const item of ep.source.read(side === unfiltered ? whole : scope)) {
        read++;
        if (side === 'left') result.leftCount++;
        else result.rightCount++;
        progress(result.leftCount + result.rightCount);
        const at = item.position?.line !== undefined ? `${item.position.file}, line ${item.position.line}` : undefined;
        if (!item.doc) {
          await note(side, `${at ?? 'a document'} cannot be read: ${item.reason}`, at ? { file: item.position?.file, line: item.position?.line } : {});
          continue;
        }
        const key = documentKey(item.doc, mode);
        if (key === undefined) {
          await note(side, `${at ?? 'a document'} has neither id nor _id`);
          continue;
        }
        await each(key, documentDigest(item.doc, mode));
      }
    } catch (err) {
      // A container that does not exist (Cosmos DB: 404) reads as empty: every document of the other side is missing or extra.
      if (read === 0 && isMissingCollectionError(ep.source.kind, err)) {
        lacking[side] = true;
        return;
      }
      throw err;
    }
    // A store that reads a missing collection as empty (MongoDB) says whether it exists.
    if (read === 0 && ep.source.exists) {
      const there = await ep.source.exists(scope).catch(() => undefined);
      if (there && !there.collection) lacking[side] = true;
    }
  };

  await readSide('left', left, async (key, digest) => {
    if (digests.has(key)) {
      await note('left', `id ${key} appears more than once`, { id: key });
      return;
    }
    digests.set(key, digest);
  });
  await readSide('right', right, async (key, digest) => {
    const seen = digests.get(key);
    if (seen === undefined) {
      digests.set(key, EXTRA);
      await listed('extra', key);
    } else if (seen === MATCHED || seen === EXTRA) {
      await note('right', `id ${key} appears more than once`, { id: key });
    } else {
      digests.set(key, MATCHED);
      if (seen !== digest) await listed('differing', key);
      else result.matchedTotal++;
    }
  });
  for (const [key, value] of digests) {
    if (value !== MATCHED && value !== EXTRA) await listed('missing', key);
  }
  if (ignoreExtra && result.extraTotal > 0) result.extraIgnored = true;
  if (lacking.left && lacking.right) {
    // Neither side holds it: nothing to compare (the caller reports it as absent).
    await report.line({ type: 'absent', ...where });
    return { ...result, neither: true };
  }
  if (lacking.left || lacking.right) {
    const side = lacking.left ? 'left' : 'right';
    result.absentOn = side;
    if (strict) await note(side, `--strict: ${side === 'right' ? `${dest.database}.${dest.collection}` : `${scope.database}.${scope.collection}`} does not exist in ${(side === 'left' ? left : right).describe}`);
  }
  result.equal = result.missingTotal === 0 && (ignoreExtra || result.extraTotal === 0) && result.differingTotal === 0 && result.problems.length === 0;
  const { missing, extra, differing, problems, ...counts } = result;
  void missing, extra, differing;
  await report.line({ type: 'collection', ...counts, problems: problems.length });
  return result;
}

/**
 * Compares two stores collection by collection: counts, and a digest of every document after
 * the normalisation the import applies. Holds one side's ids and digests in memory (about
 * 100 bytes per document), never the documents.
 */
export async function runVerify(o: VerifyOptions): Promise<VerifySummary> {
  const events = o.events ?? ignoreEvents;
  const started = new Date();
  const maxListed = o.maxListed ?? DEFAULT_MAX_LISTED;
  const map = parseNamespaceMap(o.map);
  if (o.shardPlan && !o.shard) throw new UsageError('--shard-plan is for a sharded run: pass --shard I/N as well.');
  const opened = await openEndpoint(o.left, o);
  // The same routing as the run (docs/shared-containers.md): a split's left side is read through
  // the discriminator, a merge's left side gets it set and its right side is read through it.
  const left = { ...opened, source: sourceAsMerged(sourceThroughShared(opened.source, opened.selectByField, 'source')) };
  let right: OpenedEndpoint | undefined;
  const report = new NdjsonReport(o.reportFile);
  try {
    right = await openEndpoint(o.right, o);
    right = { ...right, source: sourceAtDestinations(sourceThroughShared(right.source, right.selectByField, 'target')) };
    const mode: DigestMode = left.bson && right.bson ? 'bson' : 'json';
    const warnings: string[] = [];
    const absent: AbsentCollection[] = [];
    const filtering = await filteredScopes(o, left, right, await scopesFor(o, map, left, right, warnings, absent), warnings);
    const scopes = filtering.scopes;
    const ignoreExtra = (o.ignoreExtra ?? false) || filtering.unfiltered === 'right';
    const subset = filtersByCollection(scopes);
    if (o.shard) refuseShardOfFiltered(scopes);
    // A sharded verify compares shard I of both sides; the originals are the ones closed.
    const [l, r] = o.shard ? await shardedSides(left, right, storeAddress(o.left), scopes, { ...o, shard: o.shard, events }) : [left, right];
    await report.open({ type: 'verify', left: left.describe, right: right.describe, mode, started_at: started.toISOString() });
    const results: CollectionVerify[] = [];
    await forEachLimit(scopes, o.parallelCollections ?? 2, async (scope) => {
      events({ type: 'info', message: `verify ${describeMapping(scope)}: comparing` });
      const began = Date.now();
      let compared: CollectionVerify & { neither?: boolean };
      try {
        const progress = await comparedProgress(scope, l, r, events);
        compared = await compareCollection(scope, l, r, mode, maxListed, report, ignoreExtra, filtering.unfiltered, progress, o.strict ?? false);
        progress(compared.leftCount + compared.rightCount, true);
      } catch (err) {
        throw new DocferryError(`Cannot verify ${describeMapping(scope)}: ${redact(errorMessage(err))}`, err instanceof DocferryError ? err.exitCode : ExitCode.failed, { cause: err });
      }
      const { neither, ...res } = compared;
      if (neither) {
        // The left could not be listed, or the right could not say it lacks it: found at the read.
        absent.push(absentOf(scope));
        const message = `verify ${describeMapping(scope)}: exists on neither side (${left.describe}, ${r.describe}): nothing to compare${o.strict ? '' : '; --strict makes this a failure'}.`;
        warnings.push(message);
        events({ type: 'warning', message });
        return;
      }
      results.push(res);
      events({ type: 'compare-end', result: res, durationMs: Date.now() - began });
      events({ type: res.equal ? 'info' : 'warning', message: describeCollectionResult(res) });
    });
    const order = new Map(scopes.map((s, i) => [`${s.database}.${s.collection}`, i]));
    results.sort((a, b) => order.get(`${a.database}.${a.collection}`)! - order.get(`${b.database}.${b.collection}`)!);
    if (o.strict && absent.length > 0) {
      throw new DocferryError(
        `--strict: the layout names ${absent.map((c) => describeMapping(c)).join(', ')}, which neither ${left.describe} nor ${right.describe} holds. Fix the layout (or --collections), or run without --strict.`,
        ExitCode.failed,
      );
    }
    const equal = results.every((c) => c.equal);
    await report.line({ type: 'summary', equal, collections: results.length, ...(absent.length > 0 ? { absent: absent.length } : {}) });
    return {
      operation: 'verify',
      left: left.describe,
      right: right.describe,
      mode,
      equal,
      exitCode: equal ? ExitCode.ok : ExitCode.differences,
      collections: results,
      ...(o.reportFile ? { reportFile: o.reportFile } : {}),
      ...(ignoreExtra ? { ignoreExtra: true } : {}),
      ...(warnings.length > 0 ? { warnings } : {}),
      ...(absent.length > 0 ? { absent } : {}),
      ...(subset ? { subset } : {}),
      startedAt: started.toISOString(),
      durationMs: Date.now() - started.getTime(),
    };
  } finally {
    await report.close();
    await left.source.close();
    await right?.source.close();
  }
}

export function describeCollectionResult(c: CollectionVerify): string {
  const name = describeMapping(c);
  const list = (ids: string[], total: number) => `${ids.slice(0, 5).join(', ')}${total > 5 ? ', ...' : ''}`;
  const extra = c.extraIgnored ? 'extra on the right, ignored' : 'extra on the right';
  const lacks = c.absentOn ? `; it does not exist on the ${c.absentOn}, read as empty` : '';
  if (c.equal) return `verify ${name}: identical (${c.leftCount} documents${c.extraTotal ? `; ${c.extraTotal} ${extra}: ${list(c.extra, c.extraTotal)}` : ''}${lacks})`;
  const parts = [`${c.leftCount} left, ${c.rightCount} right${lacks}`];
  if (c.missingTotal) parts.push(`${c.missingTotal} missing on the right (${list(c.missing, c.missingTotal)})`);
  if (c.extraTotal) parts.push(`${c.extraTotal} ${extra} (${list(c.extra, c.extraTotal)})`);
  if (c.differingTotal) parts.push(`${c.differingTotal} differing (${list(c.differing, c.differingTotal)})`);
  if (c.problems.length) parts.push(...c.problems.slice(0, 3));
  return `verify ${name}: DIFFERENT: ${parts.join('; ')}`;
}

/** Lines for a terminal or a pipeline log. */
export function verifyTable(s: VerifySummary): string {
  const lines = [`verify (${s.mode} comparison${s.ignoreExtra ? ', extra documents on the right ignored' : ''}): left ${s.left}, right ${s.right}`];
  for (const c of s.collections) lines.push(describeCollectionResult(c));
  for (const c of s.absent ?? []) lines.push(`verify ${describeMapping(c)}: absent on both sides, not compared`);
  lines.push(s.equal ? `verify: identical (${s.collections.length} collections)` : `verify: DIFFERENCES FOUND in ${s.collections.filter((c) => !c.equal).length} of ${s.collections.length} collections`);
  if (s.reportFile) lines.push(`verify report: ${s.reportFile}`);
  return lines.join('\n');
}

/** `--verify` after an import, export or migrate: the run's exit code wins, else verify's. */
export async function withVerification<S extends { exitCode: number }>(summary: S, options: VerifyOptions): Promise<S & { verify: VerifySummary }> {
  const verify = await runVerify(options);
  return { ...summary, verify, exitCode: summary.exitCode !== ExitCode.ok ? summary.exitCode : verify.exitCode };
}

/**
 * A verify as the run summary the event stream and the run report take: no transfer counts
 * (`read` is the documents read from both sides), the comparison under `verify`.
 */
export function verifyRunSummary(v: VerifySummary): RunSummary {
  const read = v.collections.reduce((n, c) => n + c.leftCount + c.rightCount, 0);
  return {
    operation: 'verify',
    source: v.left,
    target: v.right,
    startedAt: v.startedAt,
    finishedAt: new Date(Date.parse(v.startedAt) + v.durationMs).toISOString(),
    durationMs: v.durationMs,
    collections: [],
    totals: { ...zeroCounts(), read },
    warnings: [...(v.warnings ?? [])],
    exitCode: v.exitCode,
    verify: v,
  };
}
