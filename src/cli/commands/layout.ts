/**
 * `docferry layout capture`: a live account's or server's schema written as a layout file (the file
 * the import and pulumi/target read). CLI-only: a pipeline captures once, reviews, and commits the file.
 * The store-specific reads are src/stores/cosmos/schema.ts and src/stores/mongo/schema.ts.
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ExitCode, UsageError } from '../../core/errors.js';
import { loadLayout, type ContainerLayout, type Layout } from '../../core/layout.js';
import { defaultAzureCredential } from '../../azure/credential.js';
import { layoutFromCapture, type CapturedDatabase } from '../../engine/schema-capture.js';
import { layoutDifferences, type LayoutDifference } from '../../engine/schema-check.js';
import { isWarning, stepText, translateLayout, type TranslationStep } from '../../core/schema-translate.js';
import { sidesOf } from '../../options/catalogue.js';
import type { OptionValues } from '../../options/values.js';
import type { CosmosSqlResourcesApi } from '../../stores/cosmos/schema.js';
import type { MongoSpec } from '../../stores/mongo/descriptor.js';
import { DATABASE_STORE_TYPES, isDatabaseStoreType, type DatabaseStoreType } from '../../stores/registry.js';
import type { CliContext } from '../context.js';
import { cosmosSpec, duration, sideSpec } from '../options.js';

const [SOURCE] = sidesOf('export');

/** A MongoDB collection has no partition key: the original scripts' /id rule, said in the notes. */
const MONGO_PARTITION_KEY = { paths: ['/id'], kind: 'Hash', version: 2 } as const;

interface CaptureFlags {
  from: string;
  out: string;
  cosmosEndpoint?: string;
  cosmosKey?: string;
  useRbac?: boolean;
  cosmosCaFile?: string;
  mongoUri?: string;
  connectTimeout?: number;
  subscriptionId?: string;
  resourceGroup?: string;
  account?: string;
  collections?: string[];
  name?: string;
}

function connectionValues(flags: CaptureFlags): OptionValues {
  const values: OptionValues = {};
  for (const key of ['cosmosEndpoint', 'cosmosKey', 'useRbac', 'cosmosCaFile', 'mongoUri', 'connectTimeout'] as const) if (flags[key] !== undefined) values[key] = flags[key];
  return values;
}

async function captureCosmos(flags: CaptureFlags, ctx: CliContext, notes: string[]): Promise<CapturedDatabase[]> {
  const arm = [flags.subscriptionId ?? ctx.env.AZURE_SUBSCRIPTION_ID, flags.resourceGroup, flags.account];
  if (arm.some(Boolean) && !arm.every(Boolean)) throw new UsageError('The management-plane capture needs all three of --subscription-id (or AZURE_SUBSCRIPTION_ID), --resource-group and --account.');
  // The SDKs load on use, as the stores' do: the other commands never pay for them.
  const { captureCosmosArm, captureCosmosDatabases } = await import('../../stores/cosmos/schema.js');
  if (flags.resourceGroup && flags.account) {
    const { CosmosDBManagementClient } = await import('@azure/arm-cosmosdb');
    const client = new CosmosDBManagementClient(defaultAzureCredential(), arm[0]!);
    const api = client.sqlResources as unknown as CosmosSqlResourcesApi;
    notes.push('Read through the management plane: whether a container is empty is not known there.');
    return captureCosmosArm(api, flags.resourceGroup, flags.account, notes);
  }
  const spec = cosmosSpec(connectionValues(flags), SOURCE!, ctx.env);
  const { createCosmosClient, describeCosmosError } = await import('../../stores/cosmos/connection.js');
  const client = createCosmosClient(spec.connection);
  try {
    return await captureCosmosDatabases(client, notes);
  } catch (err) {
    throw describeCosmosError(err, spec.connection.endpoint, 'reading the containers for a layout capture', { auth: flags.useRbac ? 'rbac' : 'key' });
  } finally {
    client.dispose();
  }
}

async function captureMongo(flags: CaptureFlags, ctx: CliContext, notes: string[]): Promise<CapturedDatabase[]> {
  const mongo: DatabaseStoreType = 'mongodb';
  // The side's type says which store builds the spec: a MongoDB one.
  const spec = sideSpec({ ...connectionValues(flags), [SOURCE!.typeKey]: mongo }, SOURCE!, ctx.env) as MongoSpec;
  const { createMongoClient, describeMongoError } = await import('../../stores/mongo/connection.js');
  const { captureMongoCollections } = await import('../../stores/mongo/schema.js');
  const client = createMongoClient(spec.uri, spec.connectTimeoutMs !== undefined ? { connectTimeoutMs: spec.connectTimeoutMs } : {});
  try {
    const found = await captureMongoCollections(client, notes);
    notes.push('MongoDB collections have no partition key: each is written with /id (the original scripts\' rule); set the Cosmos DB keys before provisioning from this file.');
    const byDb = new Map<string, ContainerLayout[]>();
    for (const f of found) {
      const list = byDb.get(f.database) ?? [];
      list.push({ name: f.collection, partitionKey: { ...MONGO_PARTITION_KEY, paths: [...MONGO_PARTITION_KEY.paths] }, empty: f.empty, mongo: f.schema });
      byDb.set(f.database, list);
    }
    return [...byDb].map(([name, containers]) => ({ name, containers }));
  } catch (err) {
    throw describeMongoError(err, spec.uri, 'reading the collections and indexes for a layout capture', spec.connectTimeoutMs !== undefined ? { connectTimeoutMs: spec.connectTimeoutMs } : {});
  } finally {
    await client.close();
  }
}

type Capture = (flags: CaptureFlags, ctx: CliContext, notes: string[]) => Promise<CapturedDatabase[]>;

/** How each database store is read into a layout. */
const CAPTURES: Record<DatabaseStoreType, Capture> = { cosmos: captureCosmos, mongodb: captureMongo };
/** Which half of a layout each store's capture is compared on. */
const COMPARED: Record<DatabaseStoreType, 'cosmos' | 'mongo'> = { cosmos: 'cosmos', mongodb: 'mongo' };

function storeTypeFlag(value: string, flag: string): DatabaseStoreType {
  if (!isDatabaseStoreType(value)) throw new UsageError(`${flag} must be ${DATABASE_STORE_TYPES.join(' or ')}, not "${value}".`);
  return value;
}

/** One line per database and container found, for the person who reads the capture's output. */
export function captureListing(layout: Layout): string {
  const lines: string[] = [];
  for (const db of layout.databases) {
    lines.push(`${db.name}${db.throughput ? ` (database throughput ${db.throughput.manual ?? `autoscale max ${db.throughput.autoscaleMax}`} RU/s)` : ''}`);
    for (const c of db.containers) {
      const facts = [`partition key ${c.partitionKey.paths.join(', ')}`];
      if (c.mongo) facts.push(`${c.mongo.indexes.length} index${c.mongo.indexes.length === 1 ? '' : 'es'}`);
      if (c.uniqueKeys) facts.push(`${c.uniqueKeys.length} unique key${c.uniqueKeys.length === 1 ? '' : 's'}`);
      if (c.defaultTtl !== undefined) facts.push(`TTL ${c.defaultTtl}`);
      if (c.empty) facts.push('EMPTY');
      lines.push(`  ${c.name}: ${facts.join('; ')}`);
    }
  }
  for (const n of layout.notes ?? []) lines.push(`note: ${n}`);
  return lines.join('\n');
}

/** The connection flags of `layout capture` and `layout check`: those of export, and the management plane's. */
function addConnectionOptions(cmd: Command): Command {
  return cmd
    .option('--cosmos-endpoint <url>', 'Cosmos DB account endpoint (env: SRC_COSMOS_ENDPOINT, COSMOS_ENDPOINT)')
    .option('--cosmos-key <key>', 'Cosmos DB account key (env: SRC_COSMOS_KEY, COSMOS_KEY); prefer the environment')
    .option('--use-rbac', 'authenticate with Entra ID (DefaultAzureCredential) instead of a key')
    .option('--cosmos-ca-file <pem>', 'also trust this CA certificate (e.g. the Cosmos DB emulator\'s)')
    .option('--mongo-uri <uri>', 'MongoDB connection string (env: SRC_MONGO_URI; default mongodb://localhost:27017/)')
    .option('--connect-timeout <duration>', 'how long to keep trying to reach the server, e.g. 30s (default 30s)', duration('--connect-timeout'))
    .option('--subscription-id <id>', 'Cosmos DB through the management plane: Azure subscription id (env: AZURE_SUBSCRIPTION_ID)')
    .option('--resource-group <name>', 'Cosmos DB through the management plane: the account\'s resource group')
    .option('--account <name>', 'Cosmos DB through the management plane: the account name');
}

export function registerLayoutCommand(program: Command, ctx: CliContext): void {
  const layout = program.command('layout').description('capture a live schema into a layout file, check a target against one, or translate one to the other backend (CLI only)');
  const capture = layout.command('capture').exitOverride().showHelpAfterError();
  addConnectionOptions(capture)
    .description('write the databases, containers or collections, partition keys, indexing policies, unique keys, TTL, throughput and MongoDB indexes of a live account or server as a layout file')
    .requiredOption('--from <type>', 'cosmos or mongodb')
    .requiredOption('--out <file>', 'the layout file to write (valid against layouts/layout.schema.json)')
    .option('--collections <names>', 'only these collections, comma-separated (`coll` or `db.coll`)', (v: string, prev: string[] | undefined) => [...(prev ?? []), ...v.split(',').map((s) => s.trim()).filter(Boolean)])
    .option('--name <name>', 'the layout\'s name (default: captured-<type>)')
    .action(async (flags: CaptureFlags) => {
      const from = storeTypeFlag(flags.from, '--from');
      const notes: string[] = [];
      const databases = await CAPTURES[from](flags, ctx, notes);
      let captured: Layout;
      try {
        captured = layoutFromCapture(databases, { name: flags.name ?? `captured-${flags.from}`, notes, ...(flags.collections ? { collections: flags.collections } : {}) });
      } catch (err) {
        if (err instanceof UsageError) throw err;
        throw new UsageError(`Nothing to capture: ${(err as Error).message}`);
      }
      await writeFile(flags.out, `${JSON.stringify(captured, null, 2)}\n`);
      ctx.out.result(captureListing(captured));
      ctx.out.log(`docferry layout capture: wrote ${flags.out}`);
    });

  const check = layout.command('check').alias('diff').exitOverride().showHelpAfterError();
  addConnectionOptions(check)
    .description('show what a live target lacks or has differently from a layout file: missing containers or collections, partition keys, indexing policy, unique keys, TTL, throughput, MongoDB indexes; exit 5 on differences')
    .requiredOption('--against <type>', 'cosmos or mongodb')
    .requiredOption('--layout <file>', 'the layout file the target should match')
    .option('--json', 'print the differences as JSON on stdout')
    .action(async (flags: CaptureFlags & { against: string; layout: string; json?: boolean }) => {
      const against = storeTypeFlag(flags.against, '--against');
      const wanted = loadLayout(flags.layout);
      const notes: string[] = [];
      const live = await CAPTURES[against](flags, ctx, notes);
      const differences = layoutDifferences(wanted, live, { cosmos: false, mongo: false, [COMPARED[against]]: true });
      if (flags.json) ctx.out.result(JSON.stringify({ layout: flags.layout, against: flags.against, matches: differences.length === 0, differences, notes }, null, 2));
      else ctx.out.result(differenceTable(differences, flags.layout));
      ctx.exitCode = differences.length === 0 ? ExitCode.ok : ExitCode.differences;
    });

  layout
    .command('translate')
    .exitOverride()
    .showHelpAfterError()
    .description('print how a layout\'s schema carries to the other backend (MongoDB indexes to Cosmos DB unique keys, TTL and composite indexes, or back), with what cannot be carried; touches no server')
    .requiredOption('--to <type>', 'cosmos or mongodb')
    .requiredOption('--layout <file>', 'the layout file to translate (a capture, or any layout with mongo blocks or Cosmos DB properties)')
    .option('--out <file>', 'also write the translated layout here (the warnings go into its notes)')
    .option('--json', 'print the plan as JSON on stdout')
    .action(async (flags: { to: string; layout: string; out?: string; json?: boolean }) => {
      const to = storeTypeFlag(flags.to, '--to');
      const { layout: translated, steps } = translateLayout(loadLayout(flags.layout), COMPARED[to]);
      if (flags.out) await writeFile(flags.out, `${JSON.stringify(translated, null, 2)}\n`);
      if (flags.json) ctx.out.result(JSON.stringify({ layout: flags.layout, to: flags.to, steps, warnings: steps.filter(isWarning).map(stepText), ...(flags.out ? { out: flags.out } : {}) }, null, 2));
      else ctx.out.result(translationPlan(steps, flags.layout, flags.to));
      if (flags.out) ctx.out.log(`docferry layout translate: wrote ${flags.out}`);
    });
}

/** The translation plan as a person reviews it: one line per step, the warnings counted. */
export function translationPlan(steps: TranslationStep[], layoutFile: string, to: string): string {
  if (steps.length === 0) return `${layoutFile}: nothing to translate to ${to} (no container has the other backend's schema).`;
  const warnings = steps.filter(isWarning).length;
  return [`Translating ${layoutFile} to ${to}: ${steps.length} step${steps.length === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}:`, ...steps.map((st) => `  ${isWarning(st) ? 'warning: ' : ''}${stepText(st)}`)].join('\n');
}

/** The differences as a table a pipeline log shows. */
export function differenceTable(differences: LayoutDifference[], layoutFile: string): string {
  if (differences.length === 0) return `The target matches ${layoutFile}.`;
  const rows = [['where', 'difference', 'detail'], ...differences.map((d) => [d.where, d.what, d.detail])];
  const widths = [0, 1].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) => `${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padEnd(widths[1]!)}  ${r[2]}`);
  return [`The target differs from ${layoutFile} in ${differences.length} place${differences.length === 1 ? '' : 's'}:`, ...lines].join('\n');
}
