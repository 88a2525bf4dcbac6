import type { Command } from 'commander';
import { discoveryFrom, filterFrom, shardFrom } from '../../options/values.js';
import { UsageError } from '../../core/errors.js';
import { runVerify, verifyRunSummary, verifyTable, type VerifyEndpoint } from '../../engine/verify.js';
import { sidesOf, type Side } from '../../options/catalogue.js';
import type { OptionValues } from '../../options/values.js';
import { runWatched, type CliContext } from '../context.js';
import { addCatalogueOptions, layoutFrom, optionValues, sideSpec } from '../options.js';

/** `--left-…` / `--right-…` values (env fallbacks: SRC_* for left, DST_* for right) -> an endpoint. */
export function endpointFromValues(values: OptionValues, side: Side, ctx: CliContext): VerifyEndpoint {
  return sideSpec(values, side, ctx.env);
}

export function registerVerifyCommand(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('verify')
    .description('compare two stores (Cosmos DB, MongoDB, export directory) collection by collection: counts and per-document content digests; exit 5 on any difference');
  addCatalogueOptions(cmd, 'verify');
  cmd.action(async (flags: Record<string, unknown>) => {
    const values = optionValues(flags, 'verify');
    const [leftSide, rightSide] = sidesOf('verify') as [Side, Side];
    const layout = layoutFrom(values);
    const left = endpointFromValues(values, leftSide, ctx);
    const right = endpointFromValues(values, rightSide, ctx);
    const collections = values.collections as string[] | undefined;
    const map = values.map as string[] | undefined;
    const summary = await runWatched(
      ctx,
      values,
      (events) =>
        runVerify({
          left,
          right,
          layout,
          ...(collections ? { collections } : {}),
          ...(map ? { map } : {}),
          ...(values.maxListed ? { maxListed: values.maxListed as number } : {}),
          ...(values.reportFile ? { reportFile: values.reportFile as string } : {}),
          ...(values.allowPartial ? { allowPartial: true } : {}),
          ...(values.ignoreExtra ? { ignoreExtra: true } : {}),
          ...filterFrom(values),
          ...discoveryFrom(values),
          ...shardFrom(values),
          events,
        }),
      verifyRunSummary,
    );
    ctx.out.result(values.json ? JSON.stringify(summary, null, 2) : verifyTable(summary));
    ctx.exitCode = summary.exitCode;
  });
}

/** The verify part of a run's report, after its summary table (it is in the --json summary already). */
export function printVerification(ctx: CliContext, flags: { json?: unknown }, summary: { verify?: Parameters<typeof verifyTable>[0] }): void {
  if (summary.verify && !flags.json) ctx.out.result(verifyTable(summary.verify));
}
