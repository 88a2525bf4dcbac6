import { join, resolve } from 'node:path';
import { CosmosDBManagementClient } from '@azure/arm-cosmosdb';
import { UsageError } from '../../../src/core/errors.js';
import { armThroughputClient, describeSettings, describeTarget } from '../../../src/azure/throughput/index.js';
import { parseRaiseFlags, parseRestoreFlags, runThroughputRaise, runThroughputRestore, type ThroughputFlags } from '../../../src/cli/commands/throughput.js';
import type { OperationContext, OperationResult } from '../context.js';

export const THROUGHPUT_COMMANDS = ['raise', 'restore'] as const;
export type ThroughputCommand = (typeof THROUGHPUT_COMMANDS)[number];

const DEFAULT_STATE_FILE_NAME = 'docferry-throughput-state.json';

/**
 * The RU/s window through the management API, with the same logic as `docferry throughput`:
 * raise reads and records the current throughput in a state file, then raises; restore puts back
 * what the state file says. The management endpoint is the Azure identity's cloud (a service
 * connection's Resource Manager URL), public Azure otherwise.
 */
export async function throughputOperation(ctx: OperationContext, command: ThroughputCommand): Promise<OperationResult> {
  const { inputs } = ctx;
  const azure = ctx.azure();
  if (!azure) throw new UsageError(`Changing throughput goes through the Azure management API: set ${ctx.azureInputHint} (an identity with Cosmos DB Operator or Contributor on the account).`);
  const optional = (name: string, value: string | undefined) => (value !== undefined ? { [name]: value } : {});
  const subscriptionId = inputs.getInput('subscriptionId');
  const flags: ThroughputFlags = {
    ...optional('resourceGroup', inputs.getInput('resourceGroup')),
    ...optional('accountName', inputs.getInput('accountName')),
    ...optional('database', inputs.getInput('database')),
    ...optional('container', inputs.getInput('container')),
    stateFile: resolve(inputs.getInput('stateFile') ?? join(ctx.tempDir, DEFAULT_STATE_FILE_NAME)),
    dryRun: inputs.getBoolInput('dryRun'),
  };
  const armUrl = (azure.resourceManagerUrl ?? 'https://management.azure.com/').replace(/\/+$/, '');
  const deps = {
    out: { log: (line: string) => ctx.log.info(line), result: (text: string) => ctx.log.info(text) },
    env: {},
    createClient: (subscriptionId: string) =>
      armThroughputClient(new CosmosDBManagementClient(azure.credential, subscriptionId, { endpoint: armUrl, credentialScopes: [`${armUrl}/.default`] })),
  };
  if (command === 'raise') {
    const target = inputs.getIntInput('targetThroughput', 1);
    const autoscaleMax = inputs.getIntInput('autoscaleMax', 1);
    const opts = parseRaiseFlags(
      // The service connection's subscription unless the author names another.
      { ...flags, ...optional('subscriptionId', subscriptionId ?? azure.subscriptionId), ...optional('to', target?.toString()), ...optional('autoscaleMax', autoscaleMax?.toString()), acknowledgeFloor: inputs.getBoolInput('acknowledgeFloor') },
      {},
    );
    const r = await runThroughputRaise(opts, deps);
    const line = r.dryRun
      ? `Dry run: ${describeTarget(opts.target)} would go from ${describeSettings(r.plan.current)} to ${describeSettings(opts.to)}.`
      : `${describeTarget(opts.target)}: ${r.applied ? 'raised' : 'already'} at ${describeSettings(opts.to)}; the restore puts back ${describeSettings(r.state.before)}. State: \`${r.stateFile}\`.`;
    return { title: `Throughput raise on ${describeTarget(opts.target)}`, outputs: r.dryRun ? {} : { stateFile: r.stateFile }, markdown: [line] };
  }
  if (command === 'restore') {
    // The state file names the target; inputs given here are only checked against it.
    const opts = parseRestoreFlags({ ...flags, ...optional('subscriptionId', subscriptionId) });
    const r = await runThroughputRestore(opts, deps);
    const line = `${describeTarget(r.state.target)}: ${r.outcome}, ${describeSettings(r.restoredTo)} (found ${describeSettings(r.found)}).`;
    return { title: `Throughput restore on ${describeTarget(r.state.target)}`, outputs: { stateFile: r.stateFile }, markdown: [line] };
  }
  throw new UsageError(`Unknown throughput command "${command}".`);
}
