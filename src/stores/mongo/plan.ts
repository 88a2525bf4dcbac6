/** How MongoDB would store a sampled document, for `docferry plan`: its BSON size, or why it would be rejected. */
import { BSON } from '../../core/bson.js';
import type { Doc } from '../../core/documents.js';
import type { DocumentInspector, InspectedDocument } from '../descriptor.js';
import { prepareForMongo, type MongoPrepareOptions } from './prepare.js';

export function mongoInspector(options: MongoPrepareOptions): DocumentInspector {
  return (input: Doc): InspectedDocument => {
    const item = prepareForMongo(input, options);
    if (typeof item === 'string') return { refused: item };
    return { bytes: BSON.calculateObjectSize(item.doc) };
  };
}
