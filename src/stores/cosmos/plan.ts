/** How Cosmos DB would store a sampled document, for `docferry plan`: its size, write cost and partition key. */
import { COSMOS_MAX_DOCUMENT_BYTES, partitionKeyOf, type Doc, type PartitionKeyValue } from '../../core/documents.js';
import type { CollectionSchema, CollectionScope } from '../../core/layout.js';
import type { DocumentInspector, InspectedDocument } from '../descriptor.js';
import { cosmosDocumentOf, type CosmosPrepareOptions } from './prepare.js';
import { indexedPropertyCount, writeRequestUnits } from './write-cost.js';

export function cosmosInspector(options: CosmosPrepareOptions): DocumentInspector {
  return (input: Doc, scope: CollectionScope, live?: CollectionSchema): InspectedDocument => {
    const doc = cosmosDocumentOf(input, options);
    if (typeof doc === 'string') return { refused: doc };
    const bytes = Buffer.byteLength(JSON.stringify(doc), 'utf8');
    // The live container's policy decides what is indexed; one to be created gets the layout's (default: everything).
    const policy = live?.cosmos?.indexingPolicy ?? scope.container?.indexingPolicy;
    const out: InspectedDocument = { bytes, writeCost: writeRequestUnits(bytes, indexedPropertyCount(doc, policy)) };
    if (bytes > COSMOS_MAX_DOCUMENT_BYTES) out.refused = `document is ${bytes} bytes; Cosmos DB items are limited to 2 MB (${COSMOS_MAX_DOCUMENT_BYTES} bytes)`;
    const pk = partitionKeyOf(doc, scope.partitionKey);
    if (!pk.ok) out.partitionKeyProblem = pk.reason;
    else out.partitionKey = Array.isArray(pk.value) ? pk.value : [pk.value as PartitionKeyValue];
    return out;
  };
}
