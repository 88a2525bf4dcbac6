import { decodeDocument } from '../../core/codec.js';
import type { Doc } from '../../core/documents.js';
import type { CollectionScope } from '../../core/layout.js';
import type { JsonFormat } from '../../core/manifest.js';
import type { SourceItem, SourceStore } from '../types.js';
import type { CheckedExport, CheckedFile } from './check.js';
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
    return readExportFile(this.fileFor(scope), this.checked.format);
  }

  async close(): Promise<void> {}
}

export async function* readExportFile(file: CheckedFile, format: JsonFormat): AsyncGenerator<SourceItem> {
  const stream = await openContent(file.absPath);
  for await (const line of readLines(stream)) {
    const position = { file: file.relPath, line: line.number };
    if (line.invalidUtf8) {
      yield { reason: 'the line is not valid UTF-8; re-export the file or fix its encoding', position };
      continue;
    }
    const text = line.text!;
    let value: unknown;
    try {
      value = decodeDocument(text, format);
    } catch (err) {
      const reason = line.unterminated
        ? `the last line is truncated (the file ends mid-document, ${line.bytes} bytes without a newline): ${(err as Error).message}`
        : `malformed JSON: ${(err as Error).message}`;
      yield { reason, raw: text, position };
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      const what = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
      yield { reason: `the line is ${what}, not a JSON object (one document per line)`, raw: text, position };
      continue;
    }
    yield { doc: value as Doc, position };
  }
}
