/**
 * Namespace mapping (`--map SRC=DST`): which target database and collection each collection of a
 * run is written to (import, migrate) or compared with (verify's right side). The source names
 * stay the scope's own; the mapping adds a `target` to a scope, and `destinationOf` is the one
 * place that says where a scope goes. Exports never map: a manifest keeps the source names.
 *
 * The rules, as docs/cli.md "Renaming databases and collections" states them:
 * - A rule is `DB.COLL=DB.COLL`, split at the first `.` of each side (a database name has no dot;
 *   a collection name may).
 * - `*` in SRC matches one or more characters: in the database part, within the database name
 *   (never a dot); in the collection part, the rest of the collection name (dots included).
 *   DST has as many `*` as SRC, and they take SRC's matches in order (as mongorestore's
 *   --nsFrom/--nsTo variables do).
 * - An exact rule (no `*`) wins over wildcard rules. Two wildcard rules that both match one
 *   collection are refused, naming both: add an exact rule for that collection to settle it.
 * - Every rule must match at least one collection of the run, and no two collections may end in
 *   one target (a collection the map leaves alone keeps its name, and counts too).
 * All of this is checked before anything is written: a UsageError names the rule.
 */
import { UsageError } from './errors.js';

export interface Namespace {
  database: string;
  collection: string;
}

/** What a mapped scope carries: its source names, and where it goes when that differs. */
export interface MappableScope extends Namespace {
  /** The target database and collection, set only when a rule renames it. */
  target?: Namespace;
}

export interface MapRule {
  /** The rule as given, for messages. */
  text: string;
  from: Namespace;
  to: Namespace;
  /** SRC holds a `*`. */
  wildcard: boolean;
  /** The compiled SRC, capturing each `*`. */
  pattern: RegExp;
}

export interface NamespaceMap {
  rules: readonly MapRule[];
}

const FLAG = '--map';

/** `db.coll`: split at the first dot. */
function splitNamespace(side: string, rule: string, what: 'SRC' | 'DST'): Namespace {
  const dot = side.indexOf('.');
  const database = dot < 0 ? side : side.slice(0, dot);
  const collection = dot < 0 ? '' : side.slice(dot + 1);
  if (!database || !collection) {
    throw new UsageError(
      `${FLAG} "${rule}": ${what} "${side}" must name a database and a collection, as db.coll (a whole database: ${dot < 0 ? side || 'db' : database}.*${what === 'DST' ? '' : `=<other>.*`}).`,
    );
  }
  return { database, collection };
}

const stars = (s: string) => s.split('*').length - 1;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function compile(from: Namespace): RegExp {
  const part = (text: string, star: string) => text.split('*').map(escape).join(star);
  return new RegExp(`^${part(from.database, '([^.]+)')}\\.${part(from.collection, '(.+)')}$`, 's');
}

/** One rule, or the reason it is not one. */
export function parseMapRule(text: string): MapRule {
  const rule = text.trim();
  const eq = rule.indexOf('=');
  if (eq < 0 || rule.indexOf('=', eq + 1) >= 0) {
    throw new UsageError(`${FLAG} "${rule}" must be SRC=DST with one "=", e.g. copilot.*=copilot_staging.* or auth.user_roles=auth.roles.`);
  }
  const src = rule.slice(0, eq).trim();
  const dst = rule.slice(eq + 1).trim();
  const from = splitNamespace(src, rule, 'SRC');
  const to = splitNamespace(dst, rule, 'DST');
  if (stars(dst) !== stars(src)) {
    throw new UsageError(`${FLAG} "${rule}": DST has ${stars(dst)} "*" and SRC has ${stars(src)}; each "*" of DST takes the match of one "*" of SRC, in order, so they need as many.`);
  }
  if (/\*\*/.test(src)) throw new UsageError(`${FLAG} "${rule}": "**" in SRC cannot tell where one match ends; use one "*".`);
  return { text: `${src}=${dst}`, from, to, wildcard: stars(src) > 0, pattern: compile(from) };
}

/** Every rule of a run (the values of each --map, and of the lines of a task input). */
export function parseNamespaceMap(rules: readonly string[] | undefined): NamespaceMap {
  const parsed = (rules ?? []).map((r) => r.trim()).filter(Boolean).map(parseMapRule);
  const seen = new Map<string, MapRule>();
  for (const r of parsed) {
    const key = `${r.from.database}.${r.from.collection}`;
    const before = seen.get(key);
    if (before) throw new UsageError(`${FLAG} names ${key} twice ("${before.text}" and "${r.text}"): give one rule per source.`);
    seen.set(key, r);
  }
  return { rules: parsed };
}

export function isEmptyMap(map: NamespaceMap | undefined): boolean {
  return !map || map.rules.length === 0;
}

/** Where a rule sends a namespace it matches, or undefined when it does not match. */
export function applyRule(rule: MapRule, ns: Namespace): Namespace | undefined {
  const m = rule.pattern.exec(`${ns.database}.${ns.collection}`);
  if (!m) return undefined;
  const captures = m.slice(1);
  let i = 0;
  const fill = (text: string) => text.replace(/\*/g, () => captures[i++]!);
  const database = fill(rule.to.database);
  const collection = fill(rule.to.collection);
  return { database, collection };
}

/** The rule that decides a namespace: its exact rule, else the one wildcard rule that matches it. */
function ruleFor(map: NamespaceMap, ns: Namespace): MapRule | undefined {
  const exact = map.rules.find((r) => !r.wildcard && r.from.database === ns.database && r.from.collection === ns.collection);
  if (exact) return exact;
  const matching = map.rules.filter((r) => r.wildcard && r.pattern.test(`${ns.database}.${ns.collection}`));
  if (matching.length > 1) {
    throw new UsageError(
      `${FLAG}: ${ns.database}.${ns.collection} matches ${matching.map((r) => `"${r.text}"`).join(' and ')}; rules may not overlap. ` +
        `Add an exact rule for it (${FLAG} ${ns.database}.${ns.collection}=<db>.<coll>) or narrow one of them.`,
    );
  }
  return matching[0];
}

/**
 * Where the map sends one namespace (itself when no rule matches), without the checks of a whole
 * run: for a side that must be looked at before the run's scope is known.
 */
export function destinationUnder(map: NamespaceMap | undefined, ns: Namespace): Namespace {
  const rule = isEmptyMap(map) ? undefined : ruleFor(map!, ns);
  return (rule && applyRule(rule, ns)) || { database: ns.database, collection: ns.collection };
}

/** The namespace a scope is written to or compared with: its target when mapped, else its own names. */
export function destinationOf(scope: MappableScope): Namespace {
  return scope.target ?? { database: scope.database, collection: scope.collection };
}

/** `copilot.messages`, or `copilot.messages -> copilot_staging.messages` when mapped. */
export function describeMapping(scope: MappableScope): string {
  const from = `${scope.database}.${scope.collection}`;
  const to = destinationOf(scope);
  const dest = `${to.database}.${to.collection}`;
  return dest === from ? from : `${from} -> ${dest}`;
}

/** The scope as a store on the target side sees it: under its destination names. */
export function atDestination<T extends MappableScope>(scope: T): T {
  if (!scope.target) return scope;
  const { target, ...rest } = scope;
  return { ...rest, database: target.database, collection: target.collection } as T;
}

/**
 * Gives each scope its target. Refused before anything is written: a rule that matches none
 * of the scopes (`scopeName` says what the scopes are: "the export", "the source"), two rules
 * that overlap on a scope, and two scopes that would end in one target.
 */
export function applyNamespaceMap<T extends MappableScope>(map: NamespaceMap | undefined, scopes: readonly T[], scopeName = 'this run'): T[] {
  if (isEmptyMap(map)) return [...scopes];
  const used = new Set<MapRule>();
  const mapped = scopes.map((scope) => {
    const { target: _old, ...plain } = scope;
    void _old;
    const rule = ruleFor(map!, scope);
    if (!rule) return plain as T;
    used.add(rule);
    const to = applyRule(rule, scope)!;
    if (to.database.includes('.')) {
      throw new UsageError(`${FLAG} "${rule.text}" sends ${scope.database}.${scope.collection} to the database "${to.database}": a database name has no dot. Put that "*" in the collection part of DST.`);
    }
    return (to.database === scope.database && to.collection === scope.collection ? plain : { ...plain, target: to }) as T;
  });
  const unused = map!.rules.filter((r) => !used.has(r));
  if (unused.length > 0) {
    const names = scopes.map((s) => `${s.database}.${s.collection}`);
    throw new UsageError(
      `${FLAG} ${unused.map((r) => `"${r.text}"`).join(', ')} ${unused.length > 1 ? 'match' : 'matches'} no collection of ${scopeName}` +
        ` (${names.length ? `it has ${names.slice(0, 12).join(', ')}${names.length > 12 ? ', ...' : ''}` : 'it has none'}). Check the names, or leave the rule out.`,
    );
  }
  const byTarget = new Map<string, T>();
  for (const s of mapped) {
    const to = destinationOf(s);
    const key = `${to.database}.${to.collection}`;
    const other = byTarget.get(key);
    if (other) {
      const why = (x: T) => (x.target ? `${x.database}.${x.collection} (by "${ruleFor(map!, x)!.text}")` : `${x.database}.${x.collection} (not mapped)`);
      throw new UsageError(`${FLAG}: ${why(other)} and ${why(s)} would both go to ${key}; each target takes one source. Map one of them elsewhere.`);
    }
    byTarget.set(key, s);
  }
  return mapped;
}

/**
 * What a checkpoint remembers of the mapping (undefined without one, so that checkpoints of runs
 * without --map stay as they were): the rules, sorted, since their order decides nothing.
 */
export function mappingFingerprint(map: NamespaceMap | undefined): string[] | undefined {
  if (isEmptyMap(map)) return undefined;
  return map!.rules.map((r) => r.text).sort();
}
