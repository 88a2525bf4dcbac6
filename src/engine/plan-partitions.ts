/**
 * What a plan's sample says about a target's partition key (docs/cli.md, "docferry plan"):
 * documents without a usable value, a first level of few values in a hierarchical (MultiHash)
 * key, and logical partitions that would outgrow the store's limit. Pure: src/engine/plan.ts
 * feeds it the sampled documents as the target's descriptor inspected them.
 */
import type { PartitionKeyValue } from '../core/documents.js';
import type { ResolvedPartitionKey } from '../core/layout.js';

/** A MultiHash first level with at most this many values in the sample is low-cardinality... */
export const LOW_CARDINALITY_VALUES = 5;
/** ...and so is one whose most common value holds this share of the sample or more. */
export const LOW_CARDINALITY_TOP_SHARE = 0.5;
/** Fewer sampled documents with a key than this say nothing about cardinality. */
export const MIN_CARDINALITY_SAMPLE = 10;

export interface SampledKey {
  /** The partition-key value, one per level; undefined when the document has no usable one. */
  key?: PartitionKeyValue[];
  /** Its size as the target stores it. */
  bytes?: number;
  /** Why it has no usable value. */
  problem?: string;
  /** Its id, for messages. */
  id?: string;
}

export interface PartitionFindings {
  paths: string[];
  kind: ResolvedPartitionKey['kind'];
  /** Sampled documents with a usable value. */
  keyed: number;
  /** Sampled documents without one (the run rejects them). */
  missing: number;
  /** Up to three of those, for messages. */
  missingExamples?: { id?: string; reason: string }[];
  /** MultiHash: distinct values of the first level in the sample, and the share of the most common one. */
  firstLevel?: { distinct: number; topShare: number; top: PartitionKeyValue };
  /**
   * The largest logical partition the sample shows (a value seen at least twice), extrapolated
   * to the whole collection: its share of the sample x the collection's documents x its mean size.
   */
  largestLogicalPartition?: { value: PartitionKeyValue[]; sampled: number; estimatedBytes: number };
}

const gb = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GB`;
const printable = (value: PartitionKeyValue[]) => (value.length === 1 ? JSON.stringify(value[0]) : JSON.stringify(value));

/**
 * The findings and their warnings. `documents`: the collection's count (undefined: the sample is
 * the collection); `limitBytes`: the store's logical-partition limit (20 GB in Cosmos DB).
 */
export function analysePartitions(sample: readonly SampledKey[], pk: ResolvedPartitionKey, o: { documents?: number; limitBytes?: number; where: string }): { findings: PartitionFindings; warnings: string[] } {
  const warnings: string[] = [];
  const keyed = sample.filter((s) => s.key !== undefined);
  const missing = sample.filter((s) => s.key === undefined);
  const findings: PartitionFindings = { paths: pk.paths, kind: pk.kind, keyed: keyed.length, missing: missing.length };
  if (missing.length > 0) {
    findings.missingExamples = missing.slice(0, 3).map((m) => ({ ...(m.id !== undefined ? { id: m.id } : {}), reason: m.problem ?? 'no partition-key value' }));
    const examples = findings.missingExamples.map((m) => `${m.id !== undefined ? `${m.id}: ` : ''}${m.reason}`).join('; ');
    warnings.push(
      `${o.where}: ${missing.length} of ${sample.length} sampled documents have no usable value for the partition key ${pk.paths.join(', ')} (${examples}): the run would reject them. ` +
        'Set the field in the source, or choose another partition key in the layout.',
    );
  }
  if (keyed.length === 0) return { findings, warnings };

  if (pk.kind === 'MultiHash') {
    const counts = new Map<string, { n: number; value: PartitionKeyValue }>();
    for (const s of keyed) {
      const k = JSON.stringify(s.key![0]);
      const c = counts.get(k);
      if (c) c.n++;
      else counts.set(k, { n: 1, value: s.key![0]! });
    }
    const top = [...counts.values()].sort((a, b) => b.n - a.n)[0]!;
    findings.firstLevel = { distinct: counts.size, topShare: top.n / keyed.length, top: top.value };
    if (keyed.length >= MIN_CARDINALITY_SAMPLE && (counts.size <= LOW_CARDINALITY_VALUES || findings.firstLevel.topShare >= LOW_CARDINALITY_TOP_SHARE)) {
      warnings.push(
        `${o.where}: the first level of the partition key (${pk.paths[0]}) takes ${counts.size} value${counts.size === 1 ? '' : 's'} in ${keyed.length} sampled documents ` +
          `(${JSON.stringify(top.value)} in ${Math.round(findings.firstLevel.topShare * 100)}%): a hierarchical key places documents by its first level, so the writes land on ` +
          `${counts.size === 1 ? 'one physical partition' : 'a few physical partitions'} (at most 10,000 RU/s each) until it splits. Lead the key with a field of many values, or expect a slow start.`,
      );
    }
  }

  const groups = new Map<string, { value: PartitionKeyValue[]; n: number; bytes: number }>();
  for (const s of keyed) {
    const k = JSON.stringify(s.key);
    const g = groups.get(k) ?? { value: s.key!, n: 0, bytes: 0 };
    g.n++;
    g.bytes += s.bytes ?? 0;
    groups.set(k, g);
  }
  // A value seen once says nothing of its partition's size (every /id value is seen once).
  const shared = [...groups.values()].filter((g) => g.n >= 2);
  if (shared.length === 0) return { findings, warnings };
  const scale = (o.documents ?? sample.length) / sample.length;
  const estimate = (g: { n: number; bytes: number }) => g.bytes * scale;
  const largest = shared.sort((a, b) => estimate(b) - estimate(a))[0]!;
  findings.largestLogicalPartition = { value: largest.value, sampled: largest.n, estimatedBytes: Math.round(estimate(largest)) };
  if (o.limitBytes !== undefined) {
    const over = shared.filter((g) => estimate(g) > o.limitBytes!);
    if (over.length > 0) {
      warnings.push(
        `${o.where}: ${over.length} logical partition${over.length === 1 ? '' : 's'} would pass the ${gb(o.limitBytes)} limit of one partition-key value ` +
          `(largest: ${printable(largest.value)}, about ${gb(estimate(largest))} extrapolated from ${largest.n} of ${sample.length} sampled documents): writes to it fail once it is full. ` +
          'Choose a partition key of more values, or a hierarchical key whose later levels split it.',
      );
    }
  }
  return { findings, warnings };
}
