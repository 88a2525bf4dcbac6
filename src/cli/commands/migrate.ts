import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { runMigrate, type MigrateOptions } from '../../engine/migrate.js';
import type { EventSink } from '../../engine/events.js';
import { sidesOf, type Side } from '../../options/catalogue.js';
import { discoveryFrom, filterFrom, mirrorFrom, runControlFrom, shardFrom, tuningFrom, type OptionValues } from '../../options/values.js';
import { RUN_MODES, type RunMode } from '../../engine/mirror.js';
import type { DatabaseSpec } from '../../stores/factory.js';
import { runReported, type CliContext } from '../context.js';
import { printVerification } from './verify.js';
import { addCatalogueOptions, checkSides, layoutFrom, optionValues, sideSpec } from '../options.js';

export function registerMigrateCommand(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('migrate')
    .description('move collections straight from one database to another (Cosmos DB or MongoDB, either way), without an export directory');
  addCatalogueOptions(cmd, 'migrate');
  cmd.action(async (flags: Record<string, unknown>) => {
    const values = optionValues(flags, 'migrate');
    const base = migrateOptionsFrom(flags, values, ctx);
    const summary = await runReported(ctx, values, (events) => runMigrate({ ...base, events }));
    printVerification(ctx, values, summary);
  });
}

/** The engine's migrate options from the command's flags: `docferry migrate`'s, and `docferry plan migrate`'s. */
export function migrateOptionsFrom(flags: Record<string, unknown>, values: OptionValues, ctx: CliContext, events?: EventSink): MigrateOptions {
  const [from, to] = sidesOf('migrate') as [Side, Side];
  checkSides(values, 'migrate');
  if (!RUN_MODES.includes(values.mode as RunMode)) throw new UsageError(`--mode must be upsert, merge or mirror, not "${String(values.mode)}".`);
  const layout = layoutFrom(values);
  const source = sideSpec(values, from, ctx.env) as DatabaseSpec;
  const target = sideSpec(values, to, ctx.env) as DatabaseSpec;
  const collections = values.collections as string[] | undefined;
  const map = values.map as string[] | undefined;
  return {
    ...(flags.indexes === false ? { noIndexes: true } : {}),
    source,
    target,
    layout,
    mode: values.mode as RunMode,
    ...(events ? { events } : {}),
    ...(collections ? { collections } : {}),
    ...(map ? { map } : {}),
    ...(values.rejectsDir ? { rejectsDir: values.rejectsDir as string } : {}),
    ...runControlFrom(values),
    ...filterFrom(values),
    ...discoveryFrom(values),
    ...mirrorFrom(values),
    ...shardFrom(values),
    ...tuningFrom(values),
  };
}
