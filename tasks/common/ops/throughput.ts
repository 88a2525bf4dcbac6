import { join, resolve } from 'node:path';
import { CosmosDBManagementClient } from '@azure/arm-cosmosdb';
import { UsageError } from '../../../src/core/errors.js';
import { SUBCOMMANDS } from '../../../src/options/catalogue.js';
import {
  armThroughputClient,
  checkArmReachable,
  describeSettings,
  describeTarget,
  runThroughputRaise,
  runThroughputRestore,
  type ThroughputSettings,
  type ThroughputTarget,
} from '../../../src/azure/throughput/index.js';
import { connectTimeoutInput, durationInput } from '../connect-timeout.js';
import type { OperationContext, OperationResult } from '../context.js';

/** The task's `command` choices: `docferry throughput`'s subcommands, from the option catalogue. */
export const THROUGHPUT_COMMANDS = SUBCOMMANDS.throughput;
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
  const given = <K extends string>(key: K, value: string | undefined) => (value !== undefined ? ({ [key]: value } as Record<K, string>) : {});
  const stateFile = resolve(inputs.getInput('stateFile') ?? join(ctx.tempDir, DEFAULT_STATE_FILE_NAME));
  const dryRun = inputs.getBoolInput('dryRun');
  const armUrl = (azure.resourceManagerUrl ?? 'https://management.azure.com/').replace(/\/+$/, '');
  const connectTimeout = connectTimeoutInput(ctx);
  const deps = {
    out: { log: (line: string) => ctx.log.info(line), result: (text: string) => ctx.log.info(text) },
    createClient: async (subscriptionId: string) => {
      await checkArmReachable(armUrl, connectTimeout.connectTimeoutMs);
      return armThroughputClient(new CosmosDBManagementClient(azure.credential, subscriptionId, { endpoint: armUrl, credentialScopes: [`${armUrl}/.default`] }));
    },
  };
  const subscriptionId = inputs.getInput('subscriptionId');
  const resourceGroup = inputs.getInput('resourceGroup');
  const accountName = inputs.getInput('accountName');
  const database = inputs.getInput('database');
  const container = inputs.getInput('container');
  if (command === 'raise') {
    // The service connection's subscription unless the author names another.
    const subscription = subscriptionId ?? azure.subscriptionId;
    const missing = [
      ...(subscription ? [] : [`"${inputs.label('subscriptionId')}" (the service connection has none)`]),
      ...(resourceGroup ? [] : [`"${inputs.label('resourceGroup')}"`]),
      ...(accountName ? [] : [`"${inputs.label('accountName')}"`]),
      ...(database ? [] : [`"${inputs.label('database')}"`]),
    ];
    if (missing.length > 0) throw new UsageError(`Raising throughput needs ${missing.join(', ')}.`);
    const manual = inputs.getIntInput('targetThroughput', 1);
    const autoscaleMax = inputs.getIntInput('autoscaleMax', 1);
    if ((manual === undefined) === (autoscaleMax === undefined)) {
      throw new UsageError(`Give exactly one of "${inputs.label('targetThroughput')}" (manual RU/s) or "${inputs.label('autoscaleMax')}" (autoscale maximum RU/s), matching the offer's current mode.`);
    }
    const target: ThroughputTarget = { subscriptionId: subscription!, resourceGroup: resourceGroup!, accountName: accountName!, database: database!, ...given('container', container) };
    const to: ThroughputSettings = manual !== undefined ? { mode: 'manual', value: manual } : { mode: 'autoscale', value: autoscaleMax! };
    const waitForScaleUpMs = durationInput(ctx, 'waitForScaleUp', inputs.getInput('waitForScaleUp'));
    const progressIntervalMs = durationInput(ctx, 'progressInterval', inputs.getInput('progressInterval'));
    const r = await runThroughputRaise(
      { target, to, stateFile, acknowledgeFloorIncrease: inputs.getBoolInput('acknowledgeFloor'), allowDecrease: false, dryRun, json: false, ...(waitForScaleUpMs !== undefined ? { waitForScaleUpMs } : {}), ...(progressIntervalMs !== undefined ? { progressIntervalMs } : {}) },
      deps,
    );
    const pending = r.scaleUp === 'pending' ? ' The service is still applying the scale-up (offerReplacePending): the old throughput is in effect until it finishes.' : '';
    const line = r.dryRun
      ? `Dry run: ${describeTarget(target)} would go from ${describeSettings(r.plan.current)} to ${describeSettings(to)}.`
      : `${describeTarget(target)}: ${r.applied ? 'raised' : 'already'} at ${describeSettings(to)}; the restore puts back ${describeSettings(r.state.before)}. State: \`${r.stateFile}\`.${pending}`;
    return { title: `Throughput raise on ${describeTarget(target)}`, outputs: r.dryRun ? {} : { stateFile: r.stateFile }, markdown: [line] };
  }
  if (command === 'restore') {
    // The state file names the target; inputs given here are only checked against it.
    const expect: Partial<ThroughputTarget> = {
      ...given('subscriptionId', subscriptionId),
      ...given('resourceGroup', resourceGroup),
      ...given('accountName', accountName),
      ...given('database', database),
      ...given('container', container),
    };
    const r = await runThroughputRestore({ stateFile, ...(Object.keys(expect).length > 0 ? { expect } : {}), dryRun, json: false }, deps);
    const line = `${describeTarget(r.state.target)}: ${r.outcome}, ${describeSettings(r.restoredTo)} (found ${describeSettings(r.found)}).`;
    return { title: `Throughput restore on ${describeTarget(r.state.target)}`, outputs: { stateFile: r.stateFile }, markdown: [line] };
  }
  throw new UsageError(`Unknown throughput command "${command}".`);
}
