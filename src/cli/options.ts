/**
 * The CLI side of the option catalogue (src/options/catalogue.ts): commander options generated
 * from the declarations, flag values turned back into catalogue keys, and the stores' connection
 * specs built from them with the original scripts' environment variables as fallbacks.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { defaultLayoutPath, loadLayout } from '../core/layout.js';
import { registerSecret, registerUriSecrets } from '../core/secrets.js';
import { defaultAzureCredential } from '../azure/credential.js';
import type { LayoutRef } from '../engine/export.js';
import {
  COSMOS_ENV,
  DEFAULT_MONGO_URI,
  MONGO_ENV,
  NETWORK,
  camelCase,
  commandOptions,
  flagOf,
  parserOf,
  prefixed,
  type Direction,
  type ResolvedOption,
  type Side,
  type TransferCommand,
} from '../options/catalogue.js';
import { OptionValueError, byteSize as byteSizeParser, duration as durationParser, positiveInt as positiveIntParser, type Parser } from '../options/parsers.js';
import { ruBudgetFrom, type OptionValues } from '../options/values.js';
import { validateEndpoint } from '../stores/cosmos/endpoint.js';
import { checkMongoUri } from '../stores/mongo/uri.js';
import type { DatabaseSpec } from '../stores/factory.js';

export { DEFAULT_MONGO_URI, type Direction };

/** A catalogue parser as commander wants it: InvalidArgumentError naming the flag and the value. */
export function cliParser<T>(flag: string, parse: Parser<T>) {
  return (value: string): T => {
    try {
      return parse(value);
    } catch (err) {
      if (err instanceof OptionValueError) throw new InvalidArgumentError(`${flag} ${err.takes}, not "${value}".`);
      throw err;
    }
  };
}

/** `--concurrency` of archive and the like: a whole number of at least 1. */
export function positiveInt(flag: string) {
  return cliParser(flag, positiveIntParser);
}

/** A size in bytes: `2097152`, `512KB`, `2MB` or `1GB` (powers of 1024). */
export function byteSize(flag: string) {
  return cliParser(flag, byteSizeParser);
}

/** A duration in milliseconds: `30s`, `500ms`, `2m`, or a number of seconds. */
export function duration(flag: string) {
  return cliParser(flag, durationParser);
}

function toCommanderOption(o: ResolvedOption): Option | undefined {
  const flag = flagOf(o);
  if (!flag) return undefined;
  const spec = o.kind === 'boolean' ? `--${flag}` : `--${flag} ${o.valueName ?? '<value>'}`;
  const opt = new Option(spec, o.help);
  if (o.cliRequired) opt.makeOptionMandatory();
  if (o.cliDefault !== undefined) opt.default(o.cliDefault);
  if (o.kind === 'choice' && o.cliChoices) opt.choices(o.choices as string[]);
  else if (o.kind === 'list') opt.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), ...value.split(',').map((s) => s.trim()).filter(Boolean)]);
  else {
    const parse = o.kind === 'choice' ? undefined : parserOf(o);
    if (parse) opt.argParser(cliParser(`--${flag}`, parse));
  }
  return opt;
}

/** --connect-timeout of the commands outside the transfer catalogue (archive), from the same declaration. */
export function connectTimeoutOption(): Option {
  return toCommanderOption({ ...NETWORK[0]!, baseKey: 'connectTimeout', group: 'network' })!;
}

/** The connect timeout into a store spec (or a verify endpoint), where it applies. */
export function withConnectTimeout<T extends { type: string }>(spec: T, ms: unknown): T {
  if (typeof ms !== 'number') return spec;
  const s = spec as T & { connection?: object };
  if (s.type === 'cosmos' && s.connection) return { ...s, connection: { ...s.connection, connectTimeoutMs: ms } };
  if (s.type === 'mongodb') return { ...s, connectTimeoutMs: ms };
  return spec;
}

/** Adds every catalogue option of a transfer command (the flags its front door offers). */
export function addCatalogueOptions(cmd: Command, command: TransferCommand): Command {
  for (const o of commandOptions(command)) {
    const opt = toCommanderOption(o);
    if (opt) cmd.addOption(opt);
  }
  return cmd;
}

/** commander's values (named after the flags) -> the catalogue's keys. */
export function optionValues(flags: Record<string, unknown>, command: TransferCommand): OptionValues {
  const values: OptionValues = {};
  for (const o of commandOptions(command)) {
    const flag = flagOf(o);
    if (!flag) continue;
    const v = flags[camelCase(flag)];
    if (v !== undefined) values[o.key] = v;
  }
  return values;
}

function fromEnv(names: readonly string[], env: NodeJS.ProcessEnv): string | undefined {
  for (const n of names) {
    const v = env[n];
    if (v !== undefined && v !== '') return v;
  }
  return undefined;
}

function readCa(path: string | undefined, flag: string): { caCertificate?: string } {
  if (!path) return {};
  try {
    return { caCertificate: readFileSync(path, 'utf8') };
  } catch (err) {
    throw new UsageError(`Cannot read ${flag} ${path}: ${(err as NodeJS.ErrnoException).code ?? err}.`);
  }
}

const dash = (side: Side) => (side.prefix ? `${side.prefix}-` : '');

/** A side's Cosmos DB connection: flags, then the original scripts' environment variables; registers every secret it finds. */
export function cosmosSpec(values: OptionValues, side: Side, env: NodeJS.ProcessEnv = process.env): DatabaseSpec {
  const k = (key: string) => values[prefixed(side.prefix, key)];
  const names = COSMOS_ENV[side.direction];
  const p = dash(side);
  const endpoint = validateEndpoint((k('cosmosEndpoint') as string | undefined) ?? fromEnv(names.endpoint, env), `--${p}cosmos-endpoint (or ${names.endpoint.join(' / ')})`);
  const key = (k('cosmosKey') as string | undefined) ?? fromEnv(names.key, env);
  registerSecret(key);
  const ca = readCa(k('cosmosCaFile') as string | undefined, `--${p}cosmos-ca-file`);
  const ru = ruBudgetFrom(values, side.prefix);
  const budget = ru ? { ru } : {};
  if (k('useRbac')) return { type: 'cosmos', connection: { endpoint, credential: defaultAzureCredential(), ...ca }, ...budget };
  if (!key) {
    throw new UsageError(`No Cosmos DB key: pass --${p}cosmos-key, set ${names.key.join(' or ')}, or use --${p}use-rbac for Entra ID authentication.`);
  }
  return { type: 'cosmos', connection: { endpoint, key, ...ca }, ...budget };
}

export function mongoUri(values: OptionValues, side: Side, env: NodeJS.ProcessEnv = process.env): string {
  const uri = (values[prefixed(side.prefix, 'mongoUri')] as string | undefined) ?? fromEnv(MONGO_ENV[side.direction], env) ?? DEFAULT_MONGO_URI;
  registerUriSecrets(uri);
  checkMongoUri(uri, `The ${side.direction} MongoDB URI`);
  return uri;
}

export function layoutFrom(values: OptionValues): LayoutRef {
  const path = values.layoutFile as string | undefined;
  return { layout: loadLayout(path ?? defaultLayoutPath), source: path ?? 'default' };
}
