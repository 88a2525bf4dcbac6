import type { ContainerLayout, Layout, ThroughputSpec } from '../core/layout.js';
import { filterByNames, parseLayout } from '../core/layout.js';

/** A database as a capture read it, whichever store it came from. */
export interface CapturedDatabase {
  name: string;
  throughput?: ThroughputSpec;
  containers: ContainerLayout[];
}

/**
 * The layout of what a capture found, narrowed by `--collections` (a name that matches nothing is
 * an error), checked against layouts/layout.schema.json before anyone writes it. A database with no
 * container cannot be in a layout: it is named in the notes instead, as every empty container is.
 */
export function layoutFromCapture(databases: CapturedDatabase[], options: { name: string; notes: string[]; collections?: readonly string[] }): Layout {
  const notes = [...options.notes];
  const flat = databases.flatMap((db) => db.containers.map((c) => ({ database: db.name, collection: c.name, container: c })));
  const kept = filterByNames(flat, options.collections);
  const out: Layout = { name: options.name, databases: [] };
  for (const db of databases) {
    const containers = kept.filter((k) => k.database === db.name).map((k) => k.container);
    if (containers.length === 0) {
      if (db.containers.length === 0) notes.push(`Database ${db.name} has no containers or collections: left out (a layout database needs one).`);
      continue;
    }
    out.databases.push({ name: db.name, ...(db.throughput ? { throughput: db.throughput } : {}), containers });
  }
  const empty = kept.filter((k) => k.container.empty === true).map((k) => `${k.database}.${k.collection}`);
  if (empty.length > 0) notes.push(`Empty when captured: ${empty.join(', ')}.`);
  if (notes.length > 0) out.notes = notes;
  if (out.databases.length === 0) throw new Error('The capture found no container or collection to write: a layout needs at least one.');
  return parseLayout(out, 'captured');
}
