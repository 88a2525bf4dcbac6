/**
 * `docferry plan export|import|migrate [that command's options]`: what the run would do, found
 * against the live source and target, writing nothing (src/engine/plan.ts). Each subcommand
 * takes its command's catalogue options, built into engine options by that command's own
 * builder, so the two cannot drift; plus `--sample` and `--fail-on-warnings` (PLAN_OWN).
 */
import type { Command } from 'commander';
import { ExitCode } from '../../core/errors.js';
import { runPlan, type PlanRequest, type PlannedCollection, type RunPlan } from '../../engine/plan.js';
import { PLAN_OWN, type TransferCommand } from '../../options/catalogue.js';
import type { OptionValues } from '../../options/values.js';
import type { CliContext } from '../context.js';
import { addCatalogueOptions, addOptions, optionValues, ownValues } from '../options.js';
import { exportOptionsFrom } from './export.js';
import { importOptionsFrom } from './import.js';
import { migrateOptionsFrom } from './migrate.js';

type Planned = Exclude<TransferCommand, 'verify'>;

const REQUESTS: Record<Planned, (flags: Record<string, unknown>, values: OptionValues, ctx: CliContext) => PlanRequest> = {
  export: (_flags, values, ctx) => ({ operation: 'export', options: exportOptionsFrom(values, ctx) }),
  import: (flags, values, ctx) => ({ operation: 'import', options: importOptionsFrom(flags, values, ctx) }),
  migrate: (flags, values, ctx) => ({ operation: 'migrate', options: migrateOptionsFrom(flags, values, ctx) }),
};

const DESCRIPTIONS: Record<Planned, string> = {
  export: 'plan an export: collections, documents and bytes, what the source lacks or holds beyond the layout',
  import: 'plan an import of an export directory: destinations, containers to create, schema differences, RU and time, partition-key warnings',
  migrate: 'plan a migrate: destinations, containers to create, schema differences, RU and time, partition-key warnings',
};

export function registerPlanCommand(program: Command, ctx: CliContext): void {
  const plan = program.command('plan').description('show what an export, import or migrate would do (documents, bytes, RU, time, containers created, partition-key and schema warnings) without writing anything');
  for (const command of Object.keys(REQUESTS) as Planned[]) {
    const cmd = plan.command(command).description(DESCRIPTIONS[command]).exitOverride().showHelpAfterError();
    addCatalogueOptions(cmd, command);
    addOptions(cmd, PLAN_OWN, 'plan');
    cmd.action(async (flags: Record<string, unknown>) => {
      const values = optionValues(flags, command);
      const own = ownValues(flags, PLAN_OWN);
      const result = await runPlan(REQUESTS[command](flags, values, ctx), own.sample !== undefined ? { sample: Number(own.sample) } : {});
      for (const w of result.warnings) ctx.out.log(`warning: ${w}`);
      for (const p of result.problems) ctx.out.log(`problem: ${p}`);
      ctx.out.result(values.json ? JSON.stringify(result, null, 2) : planTable(result));
      ctx.exitCode = result.exitCode !== ExitCode.ok ? result.exitCode : own.failOnWarnings && result.warnings.length > 0 ? ExitCode.differences : ExitCode.ok;
    });
  }
}

const count = (n: number | undefined) => (n === undefined ? '?' : n.toLocaleString('en-US'));

export function formatBytes(n: number | undefined): string {
  if (n === undefined) return '?';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

export function formatSeconds(s: number | undefined): string {
  if (s === undefined) return '?';
  if (s < 60) return `${Math.ceil(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

/** A shared container's side of a row names the discriminator value: `copilot.documents [collection=messages]`. */
function sharedPart(c: PlannedCollection, side: 'split' | 'merge'): string {
  return c.shared?.route === side ? ` [${c.shared.discriminator}=${c.shared.value}]` : '';
}

function sourceCell(c: PlannedCollection): string {
  const name = c.shared?.route === 'split' ? `${c.source.database}.${c.shared.container}${sharedPart(c, 'split')}` : `${c.source.database}.${c.source.collection}`;
  return `${name}${c.sourceExists === false ? ' (absent)' : ''}`;
}

function targetCell(c: PlannedCollection): string {
  const name = `${c.target.database}.${c.target.collection}${sharedPart(c, 'merge')}`;
  return c.create ? `${name} (created)` : c.targetExists === false ? `${name} (new)` : name;
}

/** The plan as a person reads it in a log: one row per collection, then totals, then what to know. */
export function planTable(plan: RunPlan): string {
  const ru = plan.collections.some((c) => c.estimate);
  const head = ['source', 'destination', 'documents', 'bytes', ...(ru ? ['RU', 'RU/s', 'time'] : [])];
  const rows = plan.collections.map((c) => [
    sourceCell(c),
    targetCell(c),
    count(c.sourceDocuments),
    `${formatBytes(c.bytes)}${c.bytesFrom === 'sample' ? ' (est.)' : ''}`,
    ...(ru ? [c.estimate ? count(c.estimate.requestUnits) : '-', c.estimate?.budget.ruPerSecond ? `${count(c.estimate.budget.ruPerSecond)} (${c.estimate.budget.from})` : '-', formatSeconds(c.estimate?.seconds)] : []),
  ]);
  const t = plan.totals;
  rows.push(['total', '', count(t.documents), formatBytes(t.bytes), ...(ru ? [count(t.requestUnits), '', formatSeconds(t.seconds)] : [])]);
  const widths = head.map((_, i) => Math.max(...[head, ...rows].map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  const out = [`docferry plan ${plan.operation}: ${plan.source} -> ${plan.target}${plan.mode ? ` (mode ${plan.mode})` : ''}; nothing was written`, line(head), ...rows.map(line)];
  if (plan.created.length > 0) out.push(`created by the run: ${plan.created.map((c) => `${c.database}.${c.collection}`).join(', ')}`);
  for (const c of plan.collections) {
    for (const d of c.schemaDifferences ?? []) out.push(`schema ${d.where}: ${d.what}: ${d.detail}${d.blocking ? ' (stops the run)' : ''}`);
    for (const n of c.notes ?? []) out.push(`note ${c.target.database}.${c.target.collection}: ${n}`);
  }
  if (plan.mirror) out.push(`mirror: ${plan.mirror.refused ? `refused (${plan.mirror.refused})` : `${count(plan.mirror.extra)} target document(s) would be deleted`}`);
  out.push(plan.problems.length > 0 ? `${plan.problems.length} problem(s) would stop the run; ${plan.warnings.length} warning(s) (both on stderr).` : `${plan.warnings.length} warning(s)${plan.warnings.length > 0 ? ' (on stderr)' : ''}; the run can go.`);
  return out.join('\n');
}
