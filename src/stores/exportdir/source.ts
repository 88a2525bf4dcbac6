import { decodeDocument } from '../../core/codec.js';
import { documentKey } from '../../core/digest.js';
import { displayId, valueAtPath } from '../../core/documents.js';
import { IdTable } from '../../core/id-table.js';
import { MappingError } from '../../core/type-mapping.js';
import type { Doc } from '../../core/documents.js';
import type { CollectionScope } from '../../core/layout.js';
import type { JsonFormat } from '../../core/manifest.js';
import { spreadBounds, type Shard } from '../../core/shard.js';
import type { Position, ShardPlanPart, SourceItem, SourceStore } from '../types.js';
import { JsonArrayError, splitJsonArray } from '../../core/json-array.js';
import { InputRefusedError, UsageError } from '../../core/errors.js';
import { digestFile, type CheckedExport, type CheckedFile } from './check.js';
import { openContent, readLines } from './lines.js';

/** Reads a checked export directory, one collection file at a time, line by line. */
export class DirSource implements SourceStore {
  readonly kind = 'dir' as const;

  constructor(private readonly checked: CheckedExport) {}

  describe(): string {
    return this.checked.dir;
  }

  private fileFor(scope: CollectionScope): CheckedFile {
    const file = this.checked.files.find((f) => f.database === scope.database && f.collection === scope.collection);
    if (!file) throw new Error(`internal: ${scope.database}.${scope.collection} is not in the checked export`);
    return file;
  }

  async count(scope: CollectionScope): Promise<number | undefined> {
    return this.fileFor(scope).expectedDocuments;
  }

  read(scope: CollectionScope): AsyncIterable<SourceItem> {
    return readExportFile(this.fileFor(scope), this.checked.format, scope);
  }

  /** The first `n` documents of the file (a plan's sample), with the duplicate check sized for them. */
  async *sample(scope: CollectionScope, n: number): AsyncGenerator<SourceItem> {
    const file = this.fileFor(scope);
    let read = 0;
    if (n <= 0) return;
    for await (const item of readExportFile({ ...file, expectedDocuments: Math.min(n, file.expectedDocuments ?? n) }, this.checked.format, scope)) {
      yield item;
      if (++read >= n) return;
    }
  }

  /** Sharding (docs/sharding.md): a collection file splits by line range; its line count is all a shard needs. */
  async shardPlan(scope: CollectionScope): Promise<ShardPlanPart> {
    const file = this.fileFor(scope);
    if (file.shape === 'array') throw new UsageError(`--shard splits a file by line ranges, and ${file.relPath} is one JSON array: import it unsharded, or turn it into lines first (jq -c '.[]' ${file.relPath}).`);
    const lines = file.expectedDocuments ?? (await digestFile(file.absPath)).lines;
    return { kind: LINE_RANGE_PLAN, file: file.relPath, lines };
  }

  readShard(scope: CollectionScope, plan: ShardPlanPart, shard: Shard): AsyncIterable<SourceItem> {
    const file = this.fileFor(scope);
    if (plan.kind !== LINE_RANGE_PLAN || typeof plan.lines !== 'number' || plan.file !== file.relPath) {
      throw new Error(`The shard plan of ${scope.database}.${scope.collection} is not a line-range plan of ${file.relPath}: it was made for another source.`);
    }
    const [start, end] = spreadBounds(plan.lines, shard);
    return readExportFile(file, this.checked.format, scope, { first: start + 1, last: end });
  }

  async close(): Promise<void> {}
}

/**
 * The identity a target would store a document under: `_id` for Extended JSON (MongoDB), else
 * `id` (Cosmos DB), plus the partition-key value when that is not the id itself (Cosmos ids are
 * unique per logical partition only).
 */
function identityOf(doc: Doc, format: JsonFormat, scope?: CollectionScope): string | undefined {
  const key = documentKey(doc, format === 'canonical' || format === 'relaxed' ? 'bson' : 'json');
  if (key === undefined) return undefined;
  const paths = scope?.partitionKey.paths ?? ['/id'];
  if (paths.length === 1 && paths[0] === '/id') return key;
  return `${key}\u0000${JSON.stringify(paths.map((p) => valueAtPath(doc, p) ?? null))}`;
}

export const LINE_RANGE_PLAN = 'export-line-range';

const NUMBER_TYPES = new Set(['Int32', 'Double', 'Long', 'Decimal128']);

/** One record of an export file: a line, or an element of a JSON array file. */
interface FileRecord {
  /** The line's number, or the element's place in the array (1-based). */
  number: number;
  text?: string;
  invalidUtf8?: boolean;
  unterminated?: boolean;
  bytes: number;
  position: Position;
}

/** The records of a file: its lines, or (`shape: 'array'`) its array's elements, streamed. */
async function* recordsOf(file: CheckedFile, stream: AsyncIterable<Buffer>): AsyncGenerator<FileRecord> {
  if (file.shape !== 'array') {
    for await (const line of readLines(stream)) yield { ...line, position: { file: file.relPath, line: line.number } };
    return;
  }
  try {
    for await (const e of splitJsonArray(stream)) {
      yield { number: e.index, ...(e.text !== undefined ? { text: e.text } : {}), ...(e.invalidUtf8 ? { invalidUtf8: true } : {}), bytes: e.bytes, position: { file: file.relPath, line: e.line, element: e.index } };
    }
  } catch (err) {
    if (err instanceof JsonArrayError) throw jsonArrayRefusal(file.relPath, err);
    throw err;
  }
}

/** A JSON array file that is not one well-formed array (truncated, or more than one value), named with where. */
export function jsonArrayRefusal(relPath: string, err: JsonArrayError): InputRefusedError {
  return new InputRefusedError(`${relPath} is not a whole JSON array: ${err.message} (at byte ${err.byte}, line ${err.line}). Export it again, or fix the file.`);
}

/** `lines`: only lines `first` to `last` (1-based, inclusive), one shard's. */
export async function* readExportFile(file: CheckedFile, format: JsonFormat, scope?: CollectionScope, lines?: { first: number; last: number }): AsyncGenerator<SourceItem> {
  if (lines && lines.last < lines.first) return;
  const stream = await openContent(file.absPath);
  const array = file.shape === 'array';
  const what = array ? 'the element' : 'the line';
  // Two lines with one id would silently overwrite each other in the target: the first wins,
  // the second is rejected. Holds every id of the file, in fixed space per id.
  const firstLine = new IdTable(lines ? lines.last - lines.first + 1 : (file.expectedDocuments ?? 0));
  for await (const line of recordsOf(file, stream)) {
    if (lines && line.number < lines.first) continue;
    if (lines && line.number > lines.last) break;
    const position = line.position;
    if (line.invalidUtf8) {
      yield { reason: `${what} is not valid UTF-8; re-export the file or fix its encoding`, position };
      continue;
    }
    const text = line.text!;
    let value: unknown;
    try {
      value = decodeDocument(text, format);
    } catch (err) {
      if (err instanceof MappingError) {
        // Valid JSON whose value no store can hold exactly: refused rather than stored rounded or wrapped.
        yield { reason: `no exact value at ${err.message}`, raw: text, position };
        continue;
      }
      const reason = line.unterminated
        ? `the last line is truncated (the file ends mid-document, ${line.bytes} bytes without a newline): ${(err as Error).message}`
        : `malformed JSON: ${(err as Error).message}`;
      yield { reason, raw: text, position };
      continue;
    }
    // Extended JSON decodes a bare number to a BSON value (Int32, Double): an object, but no document.
    const bsonType = typeof value === 'object' && value !== null ? (value as { _bsontype?: unknown })._bsontype : undefined;
    if (typeof value !== 'object' || value === null || Array.isArray(value) || bsonType !== undefined) {
      const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : bsonType !== undefined ? (NUMBER_TYPES.has(String(bsonType)) ? 'number' : `a ${String(bsonType)}`) : typeof value;
      yield { reason: array ? `element ${line.number} of the array is ${kind}, not a JSON object (one document per element)` : `the line is ${kind}, not a JSON object (one document per line)`, raw: text, position };
      continue;
    }
    const identity = identityOf(value as Doc, format, scope);
    if (identity !== undefined) {
      const first = firstLine.addIfAbsent(identity, line.number);
      if (first !== undefined) {
        const id = displayId(documentKey(value as Doc, format === 'canonical' || format === 'relaxed' ? 'bson' : 'json'));
        yield {
          reason: `duplicate id: "${id}" is also ${array ? 'element' : 'on line'} ${first} of ${file.relPath}; only that first document is imported. Decide which copy is right, fix the export or the target, and import this document from the rejects file if it is the one to keep.`,
          raw: text,
          id,
          position,
        };
        continue;
      }
    }
    yield { doc: value as Doc, position, bytes: line.bytes };
  }
}
