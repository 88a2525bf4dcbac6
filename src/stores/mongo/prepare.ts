import type { Doc } from '../../core/documents.js';
import { MappingError, printableId, toMongoDocument } from '../../core/type-mapping.js';
import type { SinkItem } from '../types.js';

export interface MongoPrepareOptions {
  /** Documents carry BSON types (from MongoDB or Extended JSON); otherwise they are plain JSON. */
  bsonInput?: boolean;
  /** Turn 24-hex string `_id`s into ObjectIds. */
  restoreObjectIds?: boolean;
}

/** A document as MongoDB will store it (docs/type-mapping.md), or the reason it cannot be. */
export function prepareForMongo(input: Doc, options: MongoPrepareOptions): SinkItem | string {
  let doc: Doc;
  try {
    doc = toMongoDocument(input, { json: !options.bsonInput, ...(options.restoreObjectIds ? { restoreObjectIds: true } : {}) });
  } catch (err) {
    if (err instanceof MappingError) return `cannot convert for MongoDB at ${err.message}`;
    throw err;
  }
  return { doc, id: printableId(doc._id) };
}
