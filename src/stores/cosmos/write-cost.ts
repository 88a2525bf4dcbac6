/**
 * What a write costs in Cosmos DB, for `docferry plan` (docs/cli.md, "docferry plan"). A model,
 * not a measurement: Cosmos DB bills a write by the item's size and by the index entries it
 * adds. Calibrated on the service's published figures (FACTS section 3): a 1 KB item costs about
 * 5 RU unindexed and about 10 RU with the default policy (everything indexed), taking 25
 * indexed properties as a 1 KB item's (some 40 bytes a property).
 *
 *   RU = 5 x max(1, bytes / 1024) + 0.2 x indexed properties
 *
 * Pure and SDK-free: the Cosmos DB descriptor loads it for a plan, and its unit test pins it.
 */
import type { Doc } from '../../core/documents.js';

/** RU per kilobyte written, unindexed; an item under 1 KB costs as 1 KB. */
export const WRITE_RU_PER_KB = 5;
/** RU per indexed property (a leaf value the indexing policy includes). */
export const INDEX_RU_PER_PROPERTY = 0.2;

/** The RU one insert or upsert of an item of this size with this many indexed properties costs. */
export function writeRequestUnits(bytes: number, indexedProperties: number): number {
  return WRITE_RU_PER_KB * Math.max(1, bytes / 1024) + INDEX_RU_PER_PROPERTY * indexedProperties;
}

interface PolicyPath {
  segments: string[];
  /** `*`: the path and everything under it; `?`: the scalar at exactly the path. */
  wildcard: '*' | '?';
}

function parsePath(path: string): PolicyPath | undefined {
  const parts = path.split('/').slice(1);
  const last = parts.pop();
  if (last !== '*' && last !== '?') return undefined;
  return { segments: parts.map((p) => p.replace(/^"(.*)"$/, '$1')), wildcard: last };
}

function matches(rule: PolicyPath, leaf: readonly string[]): boolean {
  if (rule.wildcard === '?' ? leaf.length !== rule.segments.length : leaf.length < rule.segments.length) return false;
  return rule.segments.every((s, i) => s === leaf[i]);
}

/** The leaf paths of a document: one per scalar value, array items under `[]`. */
function leafPaths(value: unknown, prefix: string[], out: string[][]): void {
  if (Array.isArray(value)) {
    for (const item of value) leafPaths(item, [...prefix, '[]'], out);
    return;
  }
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Doc)) leafPaths(v, [...prefix, k], out);
    return;
  }
  if (prefix.length > 0) out.push(prefix);
}

/**
 * How many of the document's leaf values an indexing policy indexes: none when its mode is
 * `none`; else each leaf by the most precise included or excluded path that matches it
 * (Cosmos DB's precedence), with `/*` included when the policy names no included path.
 */
export function indexedPropertyCount(doc: Doc, policy: Record<string, unknown> | undefined): number {
  if (String(policy?.indexingMode ?? 'consistent').toLowerCase() === 'none' || policy?.automatic === false) return 0;
  const list = (key: string) => ((policy?.[key] as { path?: unknown }[] | undefined) ?? []).map((p) => (typeof p.path === 'string' ? parsePath(p.path) : undefined)).filter((p): p is PolicyPath => p !== undefined);
  const included = policy?.includedPaths ? list('includedPaths') : [{ segments: [], wildcard: '*' as const }];
  const excluded = list('excludedPaths');
  const leaves: string[][] = [];
  leafPaths(doc, [], leaves);
  let count = 0;
  for (const leaf of leaves) {
    const best = (rules: PolicyPath[]) => Math.max(-1, ...rules.filter((r) => matches(r, leaf)).map((r) => r.segments.length + (r.wildcard === '?' ? 0.5 : 0)));
    const inc = best(included);
    if (inc >= 0 && inc > best(excluded)) count++;
  }
  return count;
}
