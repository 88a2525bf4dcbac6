import { EJSON } from 'bson';
import type { Doc } from './documents.js';
import type { JsonFormat } from './manifest.js';
import { toPlainDocument } from './type-mapping.js';

/** One document as one NDJSON line (without the newline), in the export's format. */
export function encodeDocument(doc: Doc, format: JsonFormat): string {
  switch (format) {
    case 'json':
      return JSON.stringify(doc);
    case 'plain':
      return JSON.stringify(toPlainDocument(doc));
    case 'canonical':
      return EJSON.stringify(doc, { relaxed: false });
    case 'relaxed':
      return EJSON.stringify(doc, { relaxed: true });
  }
}

/**
 * Parses one NDJSON line. Extended JSON is parsed non-relaxed so that Int32, Int64 and Double
 * keep their BSON types on the way back into MongoDB.
 */
export function decodeDocument(line: string, format: JsonFormat): unknown {
  if (format === 'canonical' || format === 'relaxed') return EJSON.parse(line, { relaxed: false });
  return JSON.parse(line);
}
