import { EJSON } from './bson.js';
import type { Doc } from './documents.js';
import type { JsonFormat } from './manifest.js';
import { toPlainDocument } from './type-mapping.js';

/** Formats whose lines carry BSON types (MongoDB Extended JSON v2). */
export function isExtendedJson(format: JsonFormat): boolean {
  return format === 'canonical' || format === 'relaxed';
}

/**
 * One document as one NDJSON line (without the newline), in the export's format. Throws
 * (MappingError for `plain`) when the document has no form in it; the caller rejects it.
 */
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
 * keep their BSON types on the way back into MongoDB (a relaxed export has already lost the
 * difference between a Double 5.0 and an Int32 5; canonical has not).
 */
export function decodeDocument(line: string, format: JsonFormat): unknown {
  if (isExtendedJson(format)) return EJSON.parse(line, { relaxed: false });
  return JSON.parse(line);
}
