/**
 * The library API's options, read from the option catalogue (src/options/catalogue.ts) at run
 * time: every catalogue option of a command is taken under its catalogue key (`batchSize`,
 * `maxRu`, `fromMongoUri`), with the catalogue's parser, unless it is listed in NOT_APPLICABLE
 * with the reason. An option added to the catalogue is therefore accepted by the API without an
 * edit here; its type comes from src/api/options.generated.ts (`npm run generate:inputs`).
 */
import { UsageError } from '../core/errors.js';
import { commandOptions, parserOf, type ResolvedOption, type TransferCommand } from '../options/catalogue.js';
import { OptionValueError } from '../options/parsers.js';
import type { OptionValues } from '../options/values.js';

/** The API function of each command, for messages. */
export const API_FUNCTIONS: Record<TransferCommand, string> = { export: 'exportData', import: 'importData', migrate: 'migrate', verify: 'verify' };

/**
 * Catalogue options the library does not take, and why. The test of the API
 * (test/api/options.test.ts) fails on a catalogue option that is neither accepted nor here.
 */
export const NOT_APPLICABLE: Readonly<Record<string, string>> = {
  json: 'the API returns the summary the CLI prints with --json; it never prints',
  quiet: 'the API never prints progress: events go to onEvent',
  progress: 'the API never prints progress: events go to onEvent (the JSON event stream is the CLI writing those events)',
  events: 'events go to onEvent; a program that wants the NDJSON stream writes them itself',
  progressInterval: "a display setting of the CLI's progress lines and stream; onEvent gets every engine event",
  reportHtml: 'rendering belongs to the front door: the summary and the events onEvent receives are what a report is made of',
  reportMd: 'rendering belongs to the front door: the summary and the events onEvent receives are what a report is made of',
  allowedRejects: "a task's pass/fail threshold: the summary's exitCode (3) and totals.rejected tell the caller, who decides",
  failOnWarnings: "a task's pass/fail rule: the summary lists every warning in `warnings`, and the caller decides",
};

/**
 * Keys the API takes beyond the catalogue: the run's plumbing, and what a program can pass that a
 * command line cannot (a layout object, an Entra ID credential object).
 */
export const API_EXTRAS: Readonly<Record<TransferCommand, readonly string[]>> = {
  export: ['signal', 'onEvent', 'layout', 'cosmosCredential'],
  import: ['signal', 'onEvent', 'layout', 'cosmosCredential'],
  migrate: ['signal', 'onEvent', 'layout', 'fromCosmosCredential', 'toCosmosCredential'],
  verify: ['signal', 'onEvent', 'layout', 'leftCosmosCredential', 'rightCosmosCredential'],
};

/** The catalogue options the API takes for a command, in the order of the CLI's --help. */
export function apiOptions(command: TransferCommand): ResolvedOption[] {
  return commandOptions(command).filter((o) => !Object.hasOwn(NOT_APPLICABLE, o.key));
}

const NUMERIC = new Set(['int', 'count', 'number', 'share', 'bytes', 'duration']);

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`;
}

/** One value as the engine takes it (numbers, durations in ms, lists as arrays), or why not. */
function readValue(o: ResolvedOption, value: unknown): unknown {
  const refuse = (takes: string) => {
    throw new OptionValueError(takes);
  };
  switch (o.kind) {
    case 'boolean':
      return typeof value === 'boolean' ? value : refuse('takes true or false');
    case 'string':
      return typeof value === 'string' && value !== '' ? value : refuse('takes a non-empty string');
    case 'choice': {
      if (typeof value !== 'string') return refuse(`must be one of ${(o.choices ?? []).join(', ')}`);
      return parserOf(o)!(value);
    }
    case 'shard':
      return typeof value === 'string' ? parserOf(o)!(value) : refuse('takes a string I/N, such as "2/4"');
    case 'list': {
      if (typeof value === 'string') return parserOf(o)!(value);
      if (Array.isArray(value) && value.every((v) => typeof v === 'string' && v.trim() !== '')) return value.map((v: string) => v.trim());
      return refuse('takes an array of names (or one comma-separated string)');
    }
    default: {
      if (!NUMERIC.has(o.kind)) return refuse(`has an unknown kind ${o.kind}`);
      // A number is the engine's unit (documents, bytes, RU/s, a share, milliseconds); a string is read as the CLI reads it ('2MB', '50%', '30s').
      if (typeof value === 'string') return parserOf(o)!(value);
      if (typeof value !== 'number') return refuse('takes a number (or a string as the CLI takes it)');
      if (o.kind === 'duration') return Number.isFinite(value) && value >= 1 ? Math.round(value) : refuse('takes a duration of at least 1 millisecond (or a string such as 30s)');
      if (o.kind === 'bytes') return Number.isSafeInteger(value) && value >= 1 ? value : refuse('takes a number of bytes of at least 1 (or a size such as 2MB)');
      return parserOf(o)!(String(value));
    }
  }
}

/** Closest key by edit distance, for "did you mean". */
function closest(key: string, keys: readonly string[]): string | undefined {
  const distance = (a: string, b: string) => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0]![j] = j;
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
    return d[a.length]![b.length]!;
  };
  let best: { key: string; d: number } | undefined;
  for (const k of keys) {
    const d = distance(key, k);
    if (!best || d < best.d) best = { key: k, d };
  }
  return best && best.d <= Math.max(2, Math.floor(key.length / 4)) ? best.key : undefined;
}

/**
 * The catalogue values of an API call: each given option checked and parsed as the CLI parses
 * its flag, the catalogue's defaults (`mode`) filled in, required ones checked. Unknown keys and
 * not-applicable ones are refused with a UsageError that names them, so a typo is not ignored.
 */
export function readApiOptions(command: TransferCommand, given: object): OptionValues {
  const fn = API_FUNCTIONS[command];
  if (typeof given !== 'object' || given === null) throw new UsageError(`${fn}: takes an options object.`);
  const options = apiOptions(command);
  const byKey = new Map(options.map((o) => [o.key, o]));
  const extras = new Set(API_EXTRAS[command]);
  const values: OptionValues = {};
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined || extras.has(key)) continue;
    const o = byKey.get(key);
    if (!o) {
      const reason = NOT_APPLICABLE[key];
      if (reason !== undefined) throw new UsageError(`${fn}: option "${key}" does not apply to the library: ${reason}.`);
      const hint = closest(key, [...byKey.keys(), ...extras]);
      throw new UsageError(`${fn}: unknown option "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}. The options are the CLI's, under their catalogue keys: see docs/api.md.`);
    }
    try {
      values[key] = readValue(o, value);
    } catch (err) {
      if (err instanceof OptionValueError) throw new UsageError(`${fn}: option "${key}" ${err.takes}, not ${describe(value)}.`);
      throw err;
    }
  }
  for (const o of options) {
    if (values[o.key] === undefined && o.cliDefault !== undefined) values[o.key] = readValue(o, o.cliDefault);
    if (values[o.key] === undefined && o.cliRequired) throw new UsageError(`${fn}: option "${o.key}" is required (${o.help}).`);
  }
  return values;
}
