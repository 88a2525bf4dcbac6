import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { runMigrate } from '../../engine/migrate.js';
import { sidesOf, type Side } from '../../options/catalogue.js';
import { runControlFrom, tuningFrom, type OptionValues } from '../../options/values.js';
import type { DatabaseSpec } from '../../stores/factory.js';
import type { WriteMode } from '../../stores/types.js';
import { runReported, type CliContext } from '../context.js';
import { printVerification } from './verify.js';
import { addCatalogueOptions, cosmosSpec, layoutFrom, mongoUri, optionValues } from '../options.js';

function sideSpec(values: OptionValues, side: Side, ctx: CliContext): DatabaseSpec {
  if (values[side.typeKey] === 'cosmos') return cosmosSpec(values, side, ctx.env);
  const uri = mongoUri(values, side, ctx.env);
  return { type: 'mongodb', uri, ...(side.direction === 'target' && values.restoreObjectIds ? { restoreObjectIds: true } : {}) };
}

export function registerMigrateCommand(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('migrate')
    .description('move collections straight from one database to another (Cosmos DB or MongoDB, either way), without an export directory');
  addCatalogueOptions(cmd, 'migrate');
  cmd.action(async (flags: Record<string, unknown>) => {
    const values = optionValues(flags, 'migrate');
    const [from, to] = sidesOf('migrate') as [Side, Side];
    for (const side of [from, to]) {
      const type = values[side.typeKey];
      if (type !== 'cosmos' && type !== 'mongodb') throw new UsageError(`--${side.prefix} must be cosmos or mongodb, not "${String(type)}".`);
    }
    if (values.mode !== 'upsert' && values.mode !== 'merge') throw new UsageError(`--mode must be upsert or merge, not "${String(values.mode)}".`);
    if (values.restoreObjectIds && values.toType !== 'mongodb') throw new UsageError('--restore-objectids applies to a MongoDB target (--to mongodb).');
    const layout = layoutFrom(values);
    const source = sideSpec(values, from, ctx);
    const target = sideSpec(values, to, ctx);
    const collections = values.collections as string[] | undefined;
    const summary = await runReported(ctx, values, (events) =>
      runMigrate({
        source,
        target,
        layout,
        mode: values.mode as WriteMode,
        events,
        ...(collections ? { collections } : {}),
        ...(values.rejectsDir ? { rejectsDir: values.rejectsDir as string } : {}),
        ...runControlFrom(values),
        ...tuningFrom(values),
      }),
    );
    printVerification(ctx, values, summary);
  });
}
