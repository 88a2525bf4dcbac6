import { readFile, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { EJSON } from '../core/bson.js';
import { decodeDocument, isExtendedJson } from '../core/codec.js';
import type { Doc } from '../core/documents.js';
import { InputRefusedError, UsageError } from '../core/errors.js';
import { findContainer, partitionKeyFor, type CollectionScope } from '../core/layout.js';
import type { JsonFormat, SourceType } from '../core/manifest.js';
import { readManifest } from '../stores/exportdir/manifest-io.js';
import { createSink } from '../stores/factory.js';
import { isDatabaseStoreType } from '../stores/registry.js';
import type { SourceItem, SourceStore } from '../stores/types.js';
import { ignoreEvents, type RunSummary } from './events.js';
import type { ImportOptions } from './import.js';
import { pickTuning, runCollections } from './run.js';
import { applyNamespaceMap, parseNamespaceMap } from '../core/namespace-map.js';
import { sinkAtDestinations } from './destination.js';

/** One replayable line of a rejects file, and where it is (for the rejects of the replay). */
interface ReplayLine {
  file: string;
  line: number;
  database?: string;
  collection?: string;
  item: SourceItem;
}

/**
 * How a rejects line becomes a document again (docs/reliability.md, "Importing fixed rejects"):
 * its `document` (Extended JSON) when it has one, else its `raw` line parsed in the export's
 * format. Everything else on the line is for people and is ignored.
 */
function parseLine(text: string, file: string, line: number, format: JsonFormat): ReplayLine {
  const position = { file, line };
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(text) as Record<string, unknown>;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new Error('not a JSON object');
  } catch (err) {
    return { file, line, item: { reason: `not a rejects line (one JSON object per line): ${(err as Error).message}`, raw: text, position } };
  }
  const database = typeof entry.database === 'string' ? entry.database : undefined;
  const collection = typeof entry.collection === 'string' ? entry.collection : undefined;
  const base = { file, line, ...(database ? { database } : {}), ...(collection ? { collection } : {}) };
  if (!database || !collection) return { ...base, item: { reason: 'the rejects line has no "database" and "collection": say where the document goes', raw: text, position } };
  let value: unknown;
  try {
    if (entry.document !== undefined) {
      // Canonical for an Extended JSON export (every BSON type back); a json/plain export's
      // numbers come back as the plain numbers its lines held.
      value = EJSON.deserialize(entry.document as Doc, { relaxed: !isExtendedJson(format) });
    } else if (typeof entry.raw === 'string') {
      value = decodeDocument(entry.raw, format);
    } else {
      return { ...base, item: { reason: 'the rejects line has neither "document" nor "raw": nothing to import', raw: text, position } };
    }
  } catch (err) {
    return { ...base, item: { reason: `still malformed: ${(err as Error).message}`, raw: typeof entry.raw === 'string' ? entry.raw : text, position } };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ...base, item: { reason: 'the document is not a JSON object', raw: typeof entry.raw === 'string' ? entry.raw : text, position } };
  }
  return { ...base, item: { doc: value as Doc, position } };
}

/** The rejects files to replay: the one named, or every `.ndjson` file of a directory. */
async function rejectsFiles(path: string): Promise<string[]> {
  const s = await stat(path).catch(() => undefined);
  if (!s) throw new InputRefusedError(`--from-rejects ${path} does not exist. Pass a rejects file (<rejects-dir>/<run id>/<db>.<collection>.ndjson) or its directory.`);
  if (!s.isDirectory()) return [path];
  const files = (await readdir(path)).filter((f) => f.endsWith('.ndjson')).sort();
  if (files.length === 0) throw new InputRefusedError(`--from-rejects ${path} holds no .ndjson rejects file.`);
  return files.map((f) => join(path, f));
}

/** The replayed lines, per target collection, in file order. */
class RejectsSource implements SourceStore {
  readonly kind = 'dir' as const;
  constructor(
    private readonly label: string,
    private readonly lines: Map<string, ReplayLine[]>,
  ) {}
  describe(): string {
    return this.label;
  }
  async count(scope: CollectionScope): Promise<number> {
    return this.lines.get(`${scope.database}.${scope.collection}`)?.length ?? 0;
  }
  async *read(scope: CollectionScope): AsyncIterable<SourceItem> {
    for (const l of this.lines.get(`${scope.database}.${scope.collection}`) ?? []) yield l.item;
  }
  async close(): Promise<void> {}
}

/**
 * `import --from-rejects FILE`: the documents of a rejects file, once fixed, into the target,
 * with the import's modes and type rules. The export directory's manifest gives the format the
 * lines are in and where the documents came from. Those still bad go to a new rejects file.
 */
export async function runRejectsReplay(o: ImportOptions & { fromRejects: string }): Promise<RunSummary> {
  const events = o.events ?? ignoreEvents;
  if (o.mode === 'mirror') throw new UsageError('--mode mirror deletes every target document the source lacks; a --from-rejects import replays only some documents, so it would delete the rest. Replay with --mode upsert or merge.');
  const mode = o.mode;
  const map = parseNamespaceMap(o.map);
  if (o.verify) throw new UsageError('--verify compares a whole export with the target; a --from-rejects import replays only some documents. Run docferry verify on its own afterwards.');
  if (o.resume) events({ type: 'info', message: '--from-rejects keeps no checkpoint, so --resume has nothing to continue: the rejects file is replayed from its first line (upsert makes that harmless).' });
  const read = await readManifest(o.exportDir);
  if (!read) throw new InputRefusedError(`${join(o.exportDir, 'manifest.json')} is missing: --from-rejects needs the export the rejects came from (--export-dir), for the format of its documents.`);
  const format: JsonFormat = read.kind === 'current' ? read.manifest.json_format : 'json';
  const sourceType: SourceType | undefined = read.kind === 'current' ? read.manifest.source_type : isDatabaseStoreType(read.manifest.source_type) ? read.manifest.source_type : undefined;
  const byCollection = new Map<string, ReplayLine[]>();
  const unplaced: ReplayLine[] = [];
  for (const file of await rejectsFiles(o.fromRejects)) {
    const rows = (await readFile(file, 'utf8')).split('\n');
    for (let i = 0; i < rows.length; i++) {
      if (rows[i]!.trim() === '') continue;
      const l = parseLine(rows[i]!, resolve(file), i + 1, format);
      if (!l.database || !l.collection) {
        unplaced.push(l);
        continue;
      }
      const key = `${l.database}.${l.collection}`;
      if (!byCollection.has(key)) byCollection.set(key, []);
      byCollection.get(key)!.push(l);
    }
  }
  if (unplaced.length > 0) {
    const where = unplaced.slice(0, 5).map((l) => `${l.file}:${l.line} (${'reason' in l.item ? l.item.reason : 'no target'})`).join('; ');
    throw new InputRefusedError(`--from-rejects: ${unplaced.length} lines cannot be replayed, nothing was written: ${where}. Each line needs "database", "collection" and a "document" or "raw".`);
  }
  if (o.collections) {
    const wanted = new Set(o.collections);
    for (const key of [...byCollection.keys()]) if (!wanted.has(key) && !wanted.has(key.slice(key.indexOf('.') + 1))) byCollection.delete(key);
  }
  // Rejects lines name the source collection, as the import that wrote them did: the same --map applies.
  const sourceScopes: CollectionScope[] = [...byCollection.keys()].map((key) => {
    const [database, collection] = [byCollection.get(key)![0]!.database!, byCollection.get(key)![0]!.collection!];
    const container = findContainer(o.layout.layout, database, collection);
    return { database, collection, partitionKey: partitionKeyFor(o.layout.layout, database, collection), ...(container ? { container } : {}) };
  });
  const scopes = applyNamespaceMap(map, sourceScopes, `the rejects ${o.fromRejects}`);
  const sink = sinkAtDestinations(await createSink(o.target, { bsonInput: isExtendedJson(format), ...(sourceType ? { sourceType } : {}) }));
  try {
    const summary = await runCollections({
      operation: 'import',
      source: new RejectsSource(o.fromRejects, byCollection),
      sink,
      scopes,
      mode,
      rejectsDir: o.rejectsDir ?? join(o.exportDir, '_rejects'),
      events,
      ...pickTuning(o),
    });
    return { ...summary, exportDir: o.exportDir };
  } finally {
    await sink.close();
  }
}
