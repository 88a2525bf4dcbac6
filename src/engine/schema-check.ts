import type { ContainerLayout, Layout, MongoIndexSpec, ThroughputSpec } from '../core/layout.js';
import type { CapturedDatabase } from './schema-capture.js';
import { resolvePartitionKey } from '../core/layout.js';

/** One way a live target differs from its layout. */
export interface LayoutDifference {
  /** `db` or `db.container`. */
  where: string;
  what: 'missing database' | 'missing container' | 'partition key' | 'indexing policy' | 'unique keys' | 'ttl' | 'throughput' | 'missing index' | 'index';
  detail: string;
}

export interface CheckSides {
  /** Compare the Cosmos DB properties (partition key, indexing policy, unique keys, TTL, throughput). */
  cosmos: boolean;
  /** Compare the `mongo` blocks' indexes. */
  mongo: boolean;
}

const keyText = (key: Record<string, unknown>) => JSON.stringify(key);
const throughputText = (t: ThroughputSpec | undefined) => (t ? (t.manual !== undefined ? `manual ${t.manual} RU/s` : `autoscale max ${t.autoscaleMax} RU/s`) : 'none');

/** The parts of an indexing policy that decide what is indexed, comparable as text. */
export function policyShape(policy: Record<string, unknown> | undefined): string {
  const p = policy ?? {};
  const paths = (list: unknown) => ((list as { path: string }[] | undefined) ?? []).map((x) => x.path).sort();
  return JSON.stringify({
    indexingMode: String(p.indexingMode ?? 'consistent').toLowerCase(),
    included: paths(p.includedPaths ?? [{ path: '/*' }]),
    excluded: paths(p.excludedPaths).filter((x) => x !== '/"_etag"/?'),
    composite: ((p.compositeIndexes as { path: string; order?: string }[][] | undefined) ?? []).map((c) => c.map((x) => `${x.path} ${x.order ?? 'ascending'}`).join(',')).sort(),
    spatial: paths(p.spatialIndexes),
    vector: paths(p.vectorIndexes),
  });
}

function cosmosDifferencesOf(wanted: ContainerLayout, live: ContainerLayout): Omit<LayoutDifference, 'where'>[] {
  const out: Omit<LayoutDifference, 'where'>[] = [];
  const pk = (c: ContainerLayout) => {
    const r = resolvePartitionKey(c.partitionKey);
    return `${r.paths.join(', ')} (${r.kind})`;
  };
  if (pk(wanted) !== pk(live)) out.push({ what: 'partition key', detail: `target ${pk(live)}, layout ${pk(wanted)}` });
  const uk = (k: string[][] | undefined) => JSON.stringify((k ?? []).map((p) => [...p].sort().join('+')).sort());
  if (uk(wanted.uniqueKeys) !== uk(live.uniqueKeys)) out.push({ what: 'unique keys', detail: `target ${uk(live.uniqueKeys)}, layout ${uk(wanted.uniqueKeys)} (set only when a container is created)` });
  if (wanted.defaultTtl !== live.defaultTtl) out.push({ what: 'ttl', detail: `target ${live.defaultTtl ?? 'off'}, layout ${wanted.defaultTtl ?? 'off'}` });
  if (wanted.indexingPolicy && policyShape(wanted.indexingPolicy) !== policyShape(live.indexingPolicy)) {
    out.push({ what: 'indexing policy', detail: `target ${policyShape(live.indexingPolicy)}, layout ${policyShape(wanted.indexingPolicy)}` });
  }
  return out;
}

/** What of an index a check compares: the options that change what it enforces. */
function indexOptions(i: MongoIndexSpec): string {
  return JSON.stringify({ unique: i.unique ?? false, sparse: i.sparse ?? false, ttl: i.expireAfterSeconds ?? null, partial: i.partialFilterExpression ?? null, collation: i.collation ?? null, hidden: i.hidden ?? false });
}

function mongoDifferences(where: string, wanted: ContainerLayout, live: ContainerLayout): LayoutDifference[] {
  const out: LayoutDifference[] = [];
  const liveIndexes = live.mongo?.indexes ?? [];
  for (const index of wanted.mongo?.indexes ?? []) {
    const found = liveIndexes.find((i) => keyText(i.key) === keyText(index.key));
    const label = index.name ?? Object.keys(index.key).join('_');
    if (!found) out.push({ where, what: 'missing index', detail: `${label} ${keyText(index.key)}` });
    else if (indexOptions(found) !== indexOptions(index)) out.push({ where, what: 'index', detail: `${label}: target ${indexOptions(found)}, layout ${indexOptions(index)}` });
  }
  return out;
}

/**
 * What the live target lacks or has differently, container by container of the layout. Extra
 * containers or indexes on the target are not differences: the layout says what must be there.
 * Throughput is compared only where both the layout and the capture have it (a data-plane
 * capture may not be able to read it: the capture's notes say so).
 */
export function layoutDifferences(wanted: Layout, live: CapturedDatabase[], sides: CheckSides): LayoutDifference[] {
  const out: LayoutDifference[] = [];
  for (const db of wanted.databases) {
    const liveDb = live.find((d) => d.name === db.name);
    if (!liveDb) {
      out.push({ where: db.name, what: 'missing database', detail: `${db.containers.length} container(s) expected` });
      continue;
    }
    if (sides.cosmos && db.throughput && liveDb.throughput && throughputText(db.throughput) !== throughputText(liveDb.throughput)) {
      out.push({ where: db.name, what: 'throughput', detail: `target ${throughputText(liveDb.throughput)}, layout ${throughputText(db.throughput)}` });
    }
    for (const c of db.containers) {
      const where = `${db.name}.${c.name}`;
      const liveC = liveDb.containers.find((x) => x.name === c.name);
      if (!liveC) {
        out.push({ where, what: 'missing container', detail: 'not on the target' });
        continue;
      }
      if (sides.cosmos) {
        out.push(...cosmosDifferencesOf(c, liveC).map((d) => ({ where, ...d })));
        if (c.throughput && liveC.throughput && throughputText(c.throughput) !== throughputText(liveC.throughput)) {
          out.push({ where, what: 'throughput' as const, detail: `target ${throughputText(liveC.throughput)}, layout ${throughputText(c.throughput)}` });
        }
      }
      if (sides.mongo) out.push(...mongoDifferences(where, c, liveC));
    }
  }
  return out;
}
