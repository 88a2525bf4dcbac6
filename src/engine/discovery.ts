import { DocferryError, ExitCode, UsageError, errorMessage } from '../core/errors.js';
import { findContainer, partitionKeyFor, type CollectionScope, type Layout } from '../core/layout.js';
import { redact } from '../core/secrets.js';
import type { ListedCollection, SourceStore } from '../stores/types.js';
import type { EventSink } from './events.js';

/** What a run does with what the source holds beyond the layout, and with what it lacks. */
export interface DiscoveryOptions {
  /** Move every container or collection found, not only the layout's (system databases never). */
  all?: boolean;
  /** A container the layout names but the source lacks, or one found that the layout does not name, fails the run before anything is written. */
  strict?: boolean;
}

/** Only the discovery options that were set. */
export function discoveryOptions(o: DiscoveryOptions): DiscoveryOptions {
  return { ...(o.all ? { all: true } : {}), ...(o.strict ? { strict: true } : {}) };
}

export interface Discovery {
  /** What the run moves: the layout's scopes that exist, and with `all` every other container found. */
  scopes: CollectionScope[];
  /** Named by the layout (and not narrowed away by --collections), missing on the source. */
  absent: ListedCollection[];
  /** Found on the source, not named by the layout, and not moved (without `all`). */
  unnamed: (ListedCollection & { documents?: number })[];
  /** Already emitted as warning events; for summaries and the manifest. */
  warnings: string[];
  /** Whether the source could be listed at all: when not, nothing above was checked. */
  listed: boolean;
}

/** Never moved, even with --all: the server's own databases. */
const SYSTEM_DATABASES = new Set(['admin', 'local', 'config']);

function isSystem(c: ListedCollection): boolean {
  return SYSTEM_DATABASES.has(c.database) || c.collection.startsWith('system.');
}

const key = (c: ListedCollection) => `${c.database}\u0000${c.collection}`;
const nameOf = (c: ListedCollection) => `${c.database}.${c.collection}`;

/**
 * Lists the source and compares it with the scopes the layout resolved: the same rules on every
 * store, since a Cosmos DB read of a missing container fails (404) and a MongoDB one reads empty.
 * `narrowed`: --collections was given, so containers the layout does not name are not reported.
 */
export async function discover(
  source: SourceStore,
  layout: Layout,
  scopes: CollectionScope[],
  o: DiscoveryOptions & { narrowed?: boolean; events: EventSink; /** What becomes of a collection the layout names and the source lacks (default: an export's words). */ absentOutcome?: string },
): Promise<Discovery> {
  if (o.all && o.narrowed) throw new UsageError('--all moves every collection found and --collections names some: pass one of them.');
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    o.events({ type: 'warning', message });
  };
  if (!source.list) return { scopes, absent: [], unnamed: [], warnings, listed: false };
  let found: ListedCollection[];
  try {
    found = (await source.list()).filter((c) => !isSystem(c));
  } catch (err) {
    const why = redact(errorMessage(err));
    if (o.strict || o.all) {
      throw new DocferryError(`${o.all ? '--all' : '--strict'}: cannot list the databases and containers of ${source.describe()}: ${why}`, ExitCode.failed, { cause: err });
    }
    warn(`Cannot list the databases and containers of ${source.describe()} (${why}): only the layout's collections are read, and one that does not exist is not detected before the run.`);
    return { scopes, absent: [], unnamed: [], warnings, listed: false };
  }
  const present = new Set(found.map(key));
  const databases = new Set(found.map((c) => c.database));
  const absent = scopes.filter((s) => !present.has(key(s))).map((s) => ({ database: s.database, collection: s.collection }));
  const inScope = new Set(scopes.map(key));
  const others = o.narrowed ? [] : found.filter((c) => !inScope.has(key(c)));
  // Named by the layout with "migrate": false: the layout already says why it stays.
  const unnamedFound = others.filter((c) => !findContainer(layout, c.database, c.collection));
  const unnamed: Discovery['unnamed'] = [];
  const scopeOf = (c: ListedCollection): CollectionScope => {
    const container = findContainer(layout, c.database, c.collection);
    return { database: c.database, collection: c.collection, partitionKey: partitionKeyFor(layout, c.database, c.collection), ...(container ? { container } : {}) };
  };
  for (const c of o.all ? [] : unnamedFound) {
    const documents = await source.count(scopeOf(c)).catch(() => undefined);
    unnamed.push({ ...c, ...(documents !== undefined ? { documents } : {}) });
  }

  if (o.strict && (absent.length > 0 || unnamed.length > 0)) {
    const lines = [
      ...absent.map((c) => `${nameOf(c)} is named by the layout but does not exist on ${source.describe()}`),
      ...unnamed.map((c) => `${nameOf(c)} (${c.documents ?? 'unknown number of'} documents) exists on ${source.describe()} but the layout does not name it`),
    ];
    throw new DocferryError(
      `--strict: the source does not match the layout; nothing was written:\n  - ${lines.join('\n  - ')}\nFix the layout (or --collections), point at the right account or server, or run without --strict (--all moves every container found).`,
      ExitCode.failed,
    );
  }
  for (const c of absent) {
    warn(
      `${nameOf(c)} is named by the layout but does not exist on the server ${source.describe()}${databases.has(c.database) ? '' : ` (there is no database ${c.database} there at all)`}: ${o.absentOutcome ?? 'nothing is read from it, and the manifest records it as absent (an import creates nothing for it)'}. ` +
        'Check the database and collection names (the layout, --collections) and that the endpoint or URI points at the right account or server; --strict makes this a failure.',
    );
  }
  for (const c of unnamed) {
    warn(
      `${nameOf(c)} (${c.documents ?? 'an unknown number of'} documents) exists on ${source.describe()} but the layout does not name it: not moved. ` +
        'Add it to the layout, or pass --all to move every container found; --strict makes this a failure.',
    );
  }
  const kept = scopes.filter((s) => present.has(key(s)));
  if (!o.all) return { scopes: kept, absent, unnamed, warnings, listed: true };
  const added = others.map(scopeOf);
  for (const s of added) {
    o.events({ type: 'info', message: `--all: ${nameOf(s)} is moved too (${s.container ? 'the layout marks it "migrate": false' : 'not named by the layout'}; partition key ${s.partitionKey.paths.join(',')})` });
  }
  return { scopes: [...kept, ...added], absent, unnamed, warnings, listed: true };
}
