import {
  COSMOS_MAX_DOCUMENT_BYTES,
  COSMOS_SYSTEM_PROPERTIES,
  cosmosIdProblem,
  partitionKeyOf,
  stripSystemProperties,
  type Doc,
  type PartitionKeyValue,
} from '../../core/documents.js';
import type { ResolvedPartitionKey } from '../../core/layout.js';
import { MappingError, hasEdgeNumbers, idToString, jsonEdgeProblem, toCosmosDocument } from '../../core/type-mapping.js';
import type { SinkItem } from '../types.js';

export interface CosmosPrepareOptions {
  /** Documents may hold BSON values (from MongoDB or Extended JSON) that need the type mapping. */
  bsonInput?: boolean;
  /** See CosmosSinkOptions.systemProperties. */
  systemProperties?: 'drop' | 'reject';
}

export interface CosmosItem extends SinkItem {
  /** Serialized size, measured once in prepare: the RU estimate and request packing use it. */
  bytes?: number;
}

/**
 * The document as Cosmos DB would store it (the type mapping, the id, system properties), before
 * its partition key and size are checked; or the reason it cannot be stored. A plan's sample
 * (plan.ts) uses it to tell a missing partition key from the other reasons.
 */
export function cosmosDocumentOf(input: Doc, options: CosmosPrepareOptions): Doc | string {
  let doc: Doc;
  try {
    doc = options.bsonInput
      ? toCosmosDocument(input)
      : input.id === undefined && input._id !== undefined
        ? // The documented _id -> id rules (an embedded document is its JSON text, not "[object Object]").
          { ...input, id: idToString(input._id) }
        : input;
    // A json/plain line with an integer beyond 2^53 or a -0 (src/core/codec.ts): no exact JSON double.
    if (!options.bsonInput && hasEdgeNumbers(input)) {
      const problem = jsonEdgeProblem(input);
      if (problem) throw problem;
    }
  } catch (err) {
    return err instanceof MappingError ? `cannot convert for Cosmos DB at ${err.message}` : String(err);
  }
  const idProblem = cosmosIdProblem(doc.id);
  if (idProblem) return doc.id === undefined ? 'document has neither id nor _id' : idProblem;
  const system = COSMOS_SYSTEM_PROPERTIES.find((k) => Object.hasOwn(doc, k));
  if (system !== undefined) {
    if ((options.systemProperties ?? (options.bsonInput ? 'reject' : 'drop')) === 'reject') {
      const value = JSON.stringify(doc[system]) ?? String(doc[system]);
      return (
        `field "${system}" is a Cosmos DB system property (${COSMOS_SYSTEM_PROPERTIES.join(' ')}): Cosmos DB sets it on every write, ` +
        `so this document's value (${value.length > 40 ? `${value.slice(0, 37)}...` : value}) would be lost. Rename the field, in the source or in this rejects entry, and import the document again.`
      );
    }
    doc = stripSystemProperties(doc);
  }
  return doc;
}

/**
 * A document as Cosmos DB will store it, with its id, partition-key value and size; or the
 * reason it cannot be stored (docs/type-mapping.md).
 */
export function prepareForCosmos(input: Doc, partitionKey: ResolvedPartitionKey, options: CosmosPrepareOptions): CosmosItem | string {
  const doc = cosmosDocumentOf(input, options);
  if (typeof doc === 'string') return doc;
  const pk = partitionKeyOf(doc, partitionKey);
  if (!pk.ok) return pk.reason;
  const bytes = Buffer.byteLength(JSON.stringify(doc), 'utf8');
  if (bytes > COSMOS_MAX_DOCUMENT_BYTES) return `document is ${bytes} bytes; Cosmos DB items are limited to 2 MB (${COSMOS_MAX_DOCUMENT_BYTES} bytes)`;
  return { doc, id: doc.id as string, partitionKey: pk.value as PartitionKeyValue | PartitionKeyValue[], bytes };
}
