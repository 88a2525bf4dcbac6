import { readFileSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { defaultLayoutPath, loadLayout } from '../core/layout.js';
import { JSON_FORMATS } from '../core/manifest.js';
import { registerSecret, registerUriSecrets } from '../core/secrets.js';
import { defaultAzureCredential } from '../azure/credential.js';
import type { LayoutRef } from '../engine/export.js';
import { validateEndpoint } from '../stores/cosmos/endpoint.js';
import type { CosmosRuOptions } from '../stores/cosmos/ru-budget.js';
import type { DatabaseSpec } from '../stores/factory.js';

export function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} takes a whole number of at least 1.`);
    return n;
  };
}

const BYTE_UNITS: Record<string, number> = { '': 1, B: 1, KB: 1024, KIB: 1024, MB: 1024 ** 2, MIB: 1024 ** 2, GB: 1024 ** 3, GIB: 1024 ** 3 };

/** A size in bytes: `2097152`, `512KB`, `2MB` or `1GB` (powers of 1024). */
export function byteSize(name: string) {
  return (value: string): number => {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
    const unit = m ? BYTE_UNITS[m[2]!.toUpperCase()] : undefined;
    const n = m && unit !== undefined ? Math.round(Number(m[1]) * unit) : NaN;
    if (!Number.isFinite(n) || n < 1) throw new InvalidArgumentError(`${name} takes a size such as 2MB, 512KB or a number of bytes, not "${value}".`);
    return n;
  };
}

export function nonNegativeInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} takes a whole number of 0 or more.`);
    return n;
  };
}

/** A positive number, e.g. RU/s. */
export function positiveNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} takes a positive number.`);
    return n;
  };
}

/** `0.5` or `50%`: a share in (0, 1]. */
export function share(name: string) {
  return (value: string): number => {
    const pct = value.trim().endsWith('%');
    const n = Number(pct ? value.trim().slice(0, -1) : value) / (pct ? 100 : 1);
    if (!Number.isFinite(n) || n <= 0 || n > 1) throw new InvalidArgumentError(`${name} takes a share between 0 and 1, such as 0.5 or 50%.`);
    return n;
  };
}

export function commaList(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];
}

/** Which environment variables back a flag, in order: the original scripts' names first. */
export type Direction = 'source' | 'target';

const ENV = {
  source: { endpoint: ['SRC_COSMOS_ENDPOINT', 'COSMOS_ENDPOINT'], key: ['SRC_COSMOS_KEY', 'COSMOS_KEY'], mongo: ['SRC_MONGO_URI'] },
  target: { endpoint: ['DST_COSMOS_ENDPOINT', 'COSMOS_ENDPOINT'], key: ['DST_COSMOS_KEY', 'COSMOS_KEY'], mongo: ['DST_MONGO_URI'] },
} as const;

export const DEFAULT_MONGO_URI = 'mongodb://localhost:27017/';

function fromEnv(names: readonly string[], env: NodeJS.ProcessEnv): string | undefined {
  for (const n of names) {
    const v = env[n];
    if (v !== undefined && v !== '') return v;
  }
  return undefined;
}

export function envNames(direction: Direction) {
  return ENV[direction];
}

export function addCosmosOptions(cmd: Command, direction: Direction, prefix = ''): Command {
  const env = ENV[direction];
  return cmd
    .option(`--${prefix}cosmos-endpoint <url>`, `Cosmos DB account endpoint (env: ${env.endpoint.join(', ')})`)
    .option(`--${prefix}cosmos-key <key>`, `Cosmos DB account key (env: ${env.key.join(', ')}); prefer the environment, arguments are visible to other processes`)
    .option(`--${prefix}use-rbac`, 'authenticate with Entra ID (DefaultAzureCredential) instead of a key; wins over a key')
    .option(`--${prefix}cosmos-ca-file <pem>`, 'also trust this CA certificate (e.g. the Cosmos DB emulator\'s self-signed one)')
    .option(`--${prefix}max-ru <ru/s>`, 'Cosmos DB: request units per second the run may use, all collections together', positiveNumber(`--${prefix}max-ru`))
    .option(`--${prefix}ru-share <share>`, 'Cosmos DB: share of each container\'s provisioned RU/s the run may use, e.g. 0.5 or 50% (needs an account key)', share(`--${prefix}ru-share`))
    .addOption(new Option(`--${prefix}priority <level>`, 'Cosmos DB priority-based execution: low yields to the application when the account is busy').choices(['low', 'high']));
}

export function addMongoOptions(cmd: Command, direction: Direction, prefix = ''): Command {
  const env = ENV[direction];
  return cmd.option(`--${prefix}mongo-uri <uri>`, `MongoDB connection string (env: ${env.mongo.join(', ')}; default ${DEFAULT_MONGO_URI})`);
}

export function addLayoutOptions(cmd: Command): Command {
  return cmd
    .option('--layout <file>', 'layout file: databases, containers, partition keys (default: the guide\'s layout)')
    .option('--collections <names>', 'only these collections, comma-separated (`coll` or `db.coll`)', commaList);
}

export function addTuningOptions(cmd: Command): Command {
  return cmd
    .option('--batch-size <n>', 'documents per write batch', positiveInt('--batch-size'))
    .option('--batch-bytes <size>', 'also end a write batch at this size, e.g. 4MB or 512KB (default 2MB)', byteSize('--batch-bytes'))
    .option('--concurrency <n>', 'write batches in flight per collection', positiveInt('--concurrency'))
    .option('--parallel-collections <n>', 'collections moved at once', positiveInt('--parallel-collections'))
    .option('--max-errors <n>', 'stop after this many rejected documents', nonNegativeInt('--max-errors'));
}

export function addOutputOptions(cmd: Command): Command {
  return cmd.option('--json', 'print one machine-readable JSON summary on stdout at the end').option('--quiet', 'no progress output');
}

export function jsonFormatOption(): Option {
  return new Option('--json-format <format>', 'encoding of exported documents (MongoDB sources: canonical Extended JSON by default)').choices(JSON_FORMATS as string[]);
}

export interface CosmosFlags {
  cosmosEndpoint?: string;
  cosmosKey?: string;
  useRbac?: boolean;
  cosmosCaFile?: string;
  maxRu?: number;
  ruShare?: number;
  priority?: 'low' | 'high';
}

function ruOptions(flags: CosmosFlags): { ru?: CosmosRuOptions } {
  const ru: CosmosRuOptions = {
    ...(flags.maxRu !== undefined ? { maxRu: flags.maxRu } : {}),
    ...(flags.ruShare !== undefined ? { ruShare: flags.ruShare } : {}),
    ...(flags.priority ? { priority: flags.priority } : {}),
  };
  return Object.keys(ru).length > 0 ? { ru } : {};
}

function readCa(path: string | undefined): { caCertificate?: string } {
  if (!path) return {};
  try {
    return { caCertificate: readFileSync(path, 'utf8') };
  } catch (err) {
    throw new UsageError(`Cannot read --cosmos-ca-file ${path}: ${(err as NodeJS.ErrnoException).code ?? err}.`);
  }
}

/** Flags, then the original scripts' environment variables; registers every secret it finds. */
export function cosmosSpec(flags: CosmosFlags, direction: Direction, env: NodeJS.ProcessEnv = process.env, flagPrefix = ''): DatabaseSpec {
  const names = ENV[direction];
  const endpoint = validateEndpoint(flags.cosmosEndpoint ?? fromEnv(names.endpoint, env), `--${flagPrefix}cosmos-endpoint (or ${names.endpoint.join(' / ')})`);
  const key = flags.cosmosKey ?? fromEnv(names.key, env);
  registerSecret(key);
  const ca = readCa(flags.cosmosCaFile);
  if (flags.useRbac) return { type: 'cosmos', connection: { endpoint, credential: defaultAzureCredential(), ...ca }, ...ruOptions(flags) };
  if (!key) {
    throw new UsageError(`No Cosmos DB key: pass --${flagPrefix}cosmos-key, set ${names.key.join(' or ')}, or use --${flagPrefix}use-rbac for Entra ID authentication.`);
  }
  return { type: 'cosmos', connection: { endpoint, key, ...ca }, ...ruOptions(flags) };
}

export function mongoUri(flags: { mongoUri?: string }, direction: Direction, env: NodeJS.ProcessEnv = process.env): string {
  const uri = flags.mongoUri ?? fromEnv(ENV[direction].mongo, env) ?? DEFAULT_MONGO_URI;
  registerUriSecrets(uri);
  return uri;
}

export function layoutFrom(flags: { layout?: string }): LayoutRef {
  const path = flags.layout ?? defaultLayoutPath;
  return { layout: loadLayout(path), source: flags.layout ?? 'default' };
}
