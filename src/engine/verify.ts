import { documentDigest, documentKey, type DigestMode } from '../core/digest.js';
import { DocferryError, ExitCode, UsageError, errorMessage } from '../core/errors.js';
import { filterByNames, partitionKeyFor, resolveScope, type CollectionScope } from '../core/layout.js';
import { redact } from '../core/secrets.js';
import type { OpenedSource } from '../stores/descriptor.js';
import { isMissingCollectionError, openStoreSource, type StoreSpec } from '../stores/registry.js';
import { NdjsonReport } from './ndjson-report.js';
import { ignoreEvents, type EventSink } from './events.js';
import type { LayoutRef } from './export.js';
import { forEachLimit } from '../core/concurrency.js';
import { discover, discoveryOptions, type DiscoveryOptions } from './discovery.js';
import { shardedSides, type ShardOptions } from './shard.js';
import { storeAddress } from '../stores/registry.js';

/** A side of a verify: a database, or an export directory. */
export type VerifyEndpoint = StoreSpec;

export interface VerifyOptions extends DiscoveryOptions, ShardOptions {
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
  events?: EventSink;
}

export interface CollectionVerify {
  database: string;
  collection: string;
  leftCount: number;
  rightCount: number;
  /** In left, not in right (the first maxListed). */
  missing: string[];
  /** In right, not in left (with `ignoreExtra`: listed, but no difference). */
  extra: string[];
  /** In both, with different content. */
  differing: string[];
  missingTotal: number;
  extraTotal: number;
  differingTotal: number;
  /** `ignoreExtra`: the extra documents were listed but not counted as a difference. */
  extraIgnored?: boolean;
  /** Things that make the sides unequal without being a document: unreadable lines, duplicate ids, a missing container. */
  problems: string[];
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
  startedAt: string;
  durationMs: number;
}

const DEFAULT_MAX_LISTED = 20;

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
async function scopesFor(o: VerifyOptions, left: OpenedEndpoint, right: OpenedEndpoint, warnings: string[]): Promise<CollectionScope[]> {
  const fromDirs = [...(left.collections ?? []), ...(right.collections ?? [])];
  if (left.collections === undefined && right.collections === undefined) {
    const events = o.events ?? ignoreEvents;
    const tell: EventSink = o.discoveryTold ? () => {} : (ev) => events(ev);
    const layoutScopes = resolveScope(o.layout.layout, o.collections);
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
    const compared = found.absent.filter((c) => !onRight || onRight.has(`${c.database}.${c.collection}`));
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

async function compareCollection(
  scope: CollectionScope,
  left: OpenedEndpoint,
  right: OpenedEndpoint,
  mode: DigestMode,
  maxListed: number,
  report: NdjsonReport,
  ignoreExtra = false,
): Promise<CollectionVerify> {
  const result: CollectionVerify = {
    database: scope.database,
    collection: scope.collection,
    leftCount: 0,
    rightCount: 0,
    missing: [],
    extra: [],
    differing: [],
    missingTotal: 0,
    extraTotal: 0,
    differingTotal: 0,
    problems: [],
    equal: true,
  };
  const where = { database: scope.database, collection: scope.collection };
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
  const readSide = async (side: 'left' | 'right', ep: OpenedEndpoint, each: (key: string, digest: string) => Promise<void>) => {
    if (ep.collections && !ep.collections.some((c) => c.database === scope.database && c.collection === scope.collection)) {
      await note(side, `${ep.describe} holds no ${scope.database}.${scope.collection}`);
      return;
    }
    try {
      for await (const item of ep.source.read(scope)) {
        if (side === 'left') result.leftCount++;
        else result.rightCount++;
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
      // A container that does not exist reads as empty: every document of the other side is missing.
      if (isMissingCollectionError(ep.source.kind, err)) {
        await note(side, `${scope.database}.${scope.collection} does not exist in ${ep.describe}`);
        return;
      }
      throw err;
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
    }
  });
  for (const [key, value] of digests) {
    if (value !== MATCHED && value !== EXTRA) await listed('missing', key);
  }
  if (ignoreExtra && result.extraTotal > 0) result.extraIgnored = true;
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
  if (o.shardPlan && !o.shard) throw new UsageError('--shard-plan is for a sharded run: pass --shard I/N as well.');
  const left = await openEndpoint(o.left, o);
  let right: OpenedEndpoint | undefined;
  const report = new NdjsonReport(o.reportFile);
  try {
    right = await openEndpoint(o.right, o);
    const mode: DigestMode = left.bson && right.bson ? 'bson' : 'json';
    const warnings: string[] = [];
    const scopes = await scopesFor(o, left, right, warnings);
    // A sharded verify compares shard I of both sides; the originals are the ones closed.
    const [l, r] = o.shard ? await shardedSides(left, right, storeAddress(o.left), scopes, { ...o, shard: o.shard, events }) : [left, right];
    await report.open({ type: 'verify', left: left.describe, right: right.describe, mode, started_at: started.toISOString() });
    const results: CollectionVerify[] = [];
    await forEachLimit(scopes, o.parallelCollections ?? 2, async (scope) => {
      events({ type: 'info', message: `verify ${scope.database}.${scope.collection}: comparing` });
      let res: CollectionVerify;
      try {
        res = await compareCollection(scope, l, r, mode, maxListed, report, o.ignoreExtra ?? false);
      } catch (err) {
        throw new DocferryError(`Cannot verify ${scope.database}.${scope.collection}: ${redact(errorMessage(err))}`, err instanceof DocferryError ? err.exitCode : ExitCode.failed, { cause: err });
      }
      results.push(res);
      events({ type: res.equal ? 'info' : 'warning', message: describeCollectionResult(res) });
    });
    const order = new Map(scopes.map((s, i) => [`${s.database}.${s.collection}`, i]));
    results.sort((a, b) => order.get(`${a.database}.${a.collection}`)! - order.get(`${b.database}.${b.collection}`)!);
    const equal = results.every((c) => c.equal);
    await report.line({ type: 'summary', equal, collections: results.length });
    return {
      operation: 'verify',
      left: left.describe,
      right: right.describe,
      mode,
      equal,
      exitCode: equal ? ExitCode.ok : ExitCode.differences,
      collections: results,
      ...(o.reportFile ? { reportFile: o.reportFile } : {}),
      ...(o.ignoreExtra ? { ignoreExtra: true } : {}),
      ...(warnings.length > 0 ? { warnings } : {}),
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
  const name = `${c.database}.${c.collection}`;
  const list = (ids: string[], total: number) => `${ids.slice(0, 5).join(', ')}${total > 5 ? ', ...' : ''}`;
  const extra = c.extraIgnored ? 'extra on the right, ignored' : 'extra on the right';
  if (c.equal) return `verify ${name}: identical (${c.leftCount} documents${c.extraTotal ? `; ${c.extraTotal} ${extra}: ${list(c.extra, c.extraTotal)}` : ''})`;
  const parts = [`${c.leftCount} left, ${c.rightCount} right`];
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
  lines.push(s.equal ? `verify: identical (${s.collections.length} collections)` : `verify: DIFFERENCES FOUND in ${s.collections.filter((c) => !c.equal).length} of ${s.collections.length} collections`);
  if (s.reportFile) lines.push(`verify report: ${s.reportFile}`);
  return lines.join('\n');
}

/** `--verify` after an import, export or migrate: the run's exit code wins, else verify's. */
export async function withVerification<S extends { exitCode: number }>(summary: S, options: VerifyOptions): Promise<S & { verify: VerifySummary }> {
  const verify = await runVerify(options);
  return { ...summary, verify, exitCode: summary.exitCode !== ExitCode.ok ? summary.exitCode : verify.exitCode };
}
