import type { ResolvedPartitionKey } from './layout.js';

export type Doc = Record<string, unknown>;

/** Properties Cosmos DB adds to every item; they are never exported or compared. */
export const COSMOS_SYSTEM_PROPERTIES = ['_rid', '_self', '_etag', '_attachments', '_ts'] as const;
const systemProperties = new Set<string>(COSMOS_SYSTEM_PROPERTIES);

export const COSMOS_MAX_ID_BYTES = 1023;
export const COSMOS_MAX_PARTITION_KEY_BYTES = 2048;
/** Cosmos DB's 2 MB item limit, measured on the JSON that is sent. */
export const COSMOS_MAX_DOCUMENT_BYTES = 2 * 1024 * 1024;

export function stripSystemProperties(doc: Doc): Doc {
  let hasAny = false;
  for (const key in doc) {
    if (systemProperties.has(key)) {
      hasAny = true;
      break;
    }
  }
  if (!hasAny) return doc;
  const out: Doc = {};
  for (const key in doc) if (!systemProperties.has(key)) out[key] = doc[key];
  return out;
}

/** Why Cosmos DB cannot store this id, or undefined when it can. */
export function cosmosIdProblem(id: unknown): string | undefined {
  if (typeof id !== 'string') return `id must be a string, found ${id === null ? 'null' : typeof id}`;
  if (id.length === 0) return 'id is empty';
  const bytes = Buffer.byteLength(id, 'utf8');
  if (bytes > COSMOS_MAX_ID_BYTES) return `id is ${bytes} bytes; Cosmos DB allows at most ${COSMOS_MAX_ID_BYTES}`;
  const bad = /[/\\?#]/.exec(id);
  if (bad) return `id contains "${bad[0]}", which Cosmos DB does not allow in ids (/ \\ ? #)`;
  return undefined;
}

/** A short, printable form of an id for messages (ids can be up to 1 KB). */
export function displayId(id: unknown): string {
  const s = typeof id === 'string' ? id : JSON.stringify(id) ?? String(id);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

export type PartitionKeyValue = string | number | boolean | null;

/** Reads `/a/b` style paths; undefined when the document has no value there. */
export function valueAtPath(doc: Doc, path: string): unknown {
  let current: unknown = doc;
  for (const raw of path.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = (current as Doc)[segment];
  }
  return current;
}

export type PartitionKeyResult = { ok: true; value: PartitionKeyValue | PartitionKeyValue[] } | { ok: false; reason: string };

/** The partition-key value(s) of a document, or why it has no usable one. */
export function partitionKeyOf(doc: Doc, pk: ResolvedPartitionKey): PartitionKeyResult {
  const values: PartitionKeyValue[] = [];
  for (const path of pk.paths) {
    const v = valueAtPath(doc, path);
    if (v === undefined) return { ok: false, reason: `missing partition-key value at ${path}` };
    if (v !== null && typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      return { ok: false, reason: `partition-key value at ${path} is ${Array.isArray(v) ? 'an array' : 'an object'}; it must be a string, number, boolean or null` };
    }
    if (typeof v === 'string' && Buffer.byteLength(v, 'utf8') > COSMOS_MAX_PARTITION_KEY_BYTES) {
      return { ok: false, reason: `partition-key value at ${path} is ${Buffer.byteLength(v, 'utf8')} bytes; Cosmos DB allows at most ${COSMOS_MAX_PARTITION_KEY_BYTES}` };
    }
    values.push(v);
  }
  return { ok: true, value: pk.kind === 'Hash' ? values[0]! : values };
}
