import type { Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { runMigrate } from '../../engine/migrate.js';
import { sidesOf, type Side } from '../../options/catalogue.js';
import { discoveryFrom, mirrorFrom, runControlFrom, tuningFrom, type OptionValues } from '../../options/values.js';
import { RUN_MODES, type RunMode } from '../../engine/mirror.js';
import type { DatabaseSpec } from '../../stores/factory.js';
import { runReported, type CliContext } from '../context.js';
import { printVerification } from './verify.js';
import { addCatalogueOptions, cosmosSpec, layoutFrom, mongoUri, optionValues, withConnectTimeout } from '../options.js';

function sideSpec(values: OptionValues, side: Side, ctx: CliContext): DatabaseSpec {
  const spec: DatabaseSpec =
    values[side.typeKey] === 'cosmos'
      ? cosmosSpec(values, side, ctx.env)
      : { type: 'mongodb', uri: mongoUri(values, side, ctx.env), ...(side.direction === 'target' && values.restoreObjectIds ? { restoreObjectIds: true } : {}) };
  return withConnectTimeout(spec, values.connectTimeout);
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
    if (values.restoreObjectIds && values.toType !== 'mongodb') throw new UsageError('--restore-objectids applies to a MongoDB target (--to mongodb).');
    if (!RUN_MODES.includes(values.mode as RunMode)) throw new UsageError(`--mode must be upsert, merge or mirror, not "${String(values.mode)}".`);
    const layout = layoutFrom(values);
    const source = sideSpec(values, from, ctx);
    const target = sideSpec(values, to, ctx);
    const collections = values.collections as string[] | undefined;
    const summary = await runReported(ctx, values, (events) =>
      runMigrate({
        source,
        target,
        layout,
        mode: values.mode as RunMode,
        events,
        ...(collections ? { collections } : {}),
        ...(values.rejectsDir ? { rejectsDir: values.rejectsDir as string } : {}),
        ...runControlFrom(values),
        ...discoveryFrom(values),
        ...mirrorFrom(values),
        ...tuningFrom(values),
      }),
    );
    printVerification(ctx, values, summary);
  });
}
