/**
 * The pipeline tasks' view of the option catalogue: the `inputs` of every Azure DevOps task.json
 * and of tasks/github/action.yml, rendered from src/options/catalogue.ts (plus the inputs only the
 * tasks have: the service connection, and the `command` of archive and throughput). scripts/generate-task-inputs.ts
 * writes them; test/tasks/task-inputs-generated.test.ts fails when the committed files differ.
 */
import { SPEC_OPTIONS } from '../stores/registry.js';
import {
  FAIL_ON_WARNINGS,
  SUBCOMMANDS,
  commandOptions,
  kebabCase,
  parserOf,
  subcommandOptions,
  taskInputOf,
  TRANSFER_COMMANDS,
  type Kind,
  type OptionDecl,
  type ResolvedOption,
  type SubcommandCommand,
  type TaskView,
  type TransferCommand,
} from './catalogue.js';

export type TaskCommand = TransferCommand | 'archive' | 'throughput';

export const TASK_NAMES: Record<TaskCommand, string> = {
  export: 'DocferryExport',
  import: 'DocferryImport',
  migrate: 'DocferryMigrate',
  verify: 'DocferryVerify',
  archive: 'DocferryArchive',
  throughput: 'DocferryThroughput',
};

/** An input of a task: a catalogue option, or one only the tasks have. */
export interface TaskInput {
  name: string;
  kind: Kind;
  choices?: readonly string[];
  secret?: boolean;
  view: TaskView;
}

const WIF =
  'Workload identity federation (recommended), service principal (secret or certificate) and managed identity connections are supported. For workload identity federation the task requests a fresh OIDC token from the pipeline for every token exchange.';

function serviceConnection(help: string, required = false): TaskInput {
  return { name: 'azureSubscription', kind: 'string', view: { type: 'connectedService:AzureRM', label: 'Azure Resource Manager connection', group: 'connection', required, help: `${help} ${WIF}` } };
}

const COSMOS_CONNECTION_HELP = 'Service connection whose identity is used with Entra ID for Cosmos DB (with "Use Entra ID").';

/** The task's `command` input: which subcommand the step runs. */
function commandInput(command: SubcommandCommand, view: Omit<TaskView, 'defaultValue' | 'required'>): TaskInput {
  const choices = SUBCOMMANDS[command];
  return { name: 'command', kind: 'choice', choices, view: { ...view, required: true, defaultValue: choices[0] } };
}

const ARCHIVE_COMMAND = commandInput('archive', {
  label: 'Command',
  group: 'archive',
  options: { push: 'push: upload an export directory', pull: 'pull: download an archived export', list: 'list: show the archived exports' },
  help: '`push` uploads an export directory, `pull` downloads one and checks every file against its manifest, `list` shows what the container holds.',
});
const ARCHIVE_CONNECTION_HELP =
  'Service connection whose identity is used with Entra ID for the storage account (Storage Blob Data Contributor to push, Reader to pull or list), unless a connection string or SAS is given.';

const THROUGHPUT_COMMAND = commandInput('throughput', {
  label: 'Command',
  group: 'target',
  options: { raise: 'raise: record the current throughput, then raise it', restore: 'restore: put back what the state file recorded' },
  help: '`raise` records the current throughput in the state file and raises it; `restore` puts back exactly what was recorded (run it with `condition: always()`).',
});
const THROUGHPUT_CONNECTION_HELP = 'Service connection whose identity is used with Entra ID for the Azure management API (Cosmos DB Operator or Contributor on the account).';

/** The inputs only the GitHub Action has (it has no service connection, and one step for every command). */
const ACTION_ONLY: Record<string, { description: string; required: boolean }> = {
  command: {
    description: 'What to do: export, import, migrate, verify, archive-push, archive-pull, archive-list, throughput-raise or throughput-restore.',
    required: true,
  },
  'client-id': {
    description:
      'Entra ID application (client) id for OIDC federation (needs `permissions: id-token: write`). Default: env AZURE_CLIENT_ID. Without it, the Azure CLI login of azure/login is used when Entra ID is needed.',
    required: false,
  },
  'tenant-id': { description: 'Entra ID tenant id for OIDC federation. Default: env AZURE_TENANT_ID.', required: false },
};

/** A catalogue declaration that tasks outside the transfer commands offer as it is. */
function declared(o: OptionDecl): TaskInput {
  return { name: o.key, kind: o.kind, view: o.task! };
}

function fromCatalogue(o: ResolvedOption): TaskInput {
  return { name: taskInputOf(o)!, kind: o.kind, ...(o.choices ? { choices: o.choices } : {}), ...(o.secret ? { secret: true } : {}), view: o.task! };
}

/** The catalogue options of archive's or throughput's subcommands that the task offers, once each. */
function subcommandInputs(command: SubcommandCommand): TaskInput[] {
  return subcommandOptions(command).filter((o) => o.task).map(fromCatalogue);
}

/** Every input of a task, catalogue options first-come (a shared store option once). */
export function taskInputs(command: TaskCommand): TaskInput[] {
  if (command === 'archive') return [ARCHIVE_COMMAND, serviceConnection(ARCHIVE_CONNECTION_HELP), ...subcommandInputs('archive'), declared(FAIL_ON_WARNINGS)];
  if (command === 'throughput') return [THROUGHPUT_COMMAND, serviceConnection(THROUGHPUT_CONNECTION_HELP, true), ...subcommandInputs('throughput'), declared(FAIL_ON_WARNINGS)];
  const seen = new Set<string>();
  const out: TaskInput[] = [serviceConnection(COSMOS_CONNECTION_HELP)];
  for (const o of commandOptions(command)) {
    const name = taskInputOf(o);
    if (!name || seen.has(name)) continue;
    seen.add(name);
    out.push(fromCatalogue(o));
  }
  return out;
}

/** One input of a task by name (how the tasks find the parser and the secrecy of what they read). */
export function taskInput(command: TaskCommand, name: string): TaskInput {
  const i = taskInputs(command).find((x) => x.name === name);
  if (!i) throw new Error(`The ${TASK_NAMES[command]} task has no input "${name}" in the option catalogue.`);
  return i;
}

/** The task inputs of one catalogue group for a command (tuning, ru-budget, resume...). */
export function taskInputsOfGroup(command: TransferCommand, group: string): TaskInput[] {
  const names = new Set(commandOptions(command).filter((o) => o.group === group).map(taskInputOf).filter((n): n is string => n !== undefined));
  return taskInputs(command).filter((i) => names.has(i.name));
}

/**
 * The inputs a side's store may read: the side's connection group (its own inputs and the shared
 * ones, useRbac and the RU budget) and the command inputs some store's spec takes (SPEC_OPTIONS).
 */
export function taskInputsOfSide(command: TransferCommand, prefix: string): TaskInput[] {
  const names = new Set(
    commandOptions(command)
      .filter((o) => (o.side ? o.side.prefix === prefix : SPEC_OPTIONS.includes(o.key)))
      .map(taskInputOf)
      .filter((n): n is string => n !== undefined),
  );
  return taskInputs(command).filter((i) => names.has(i.name));
}

/** The task input carrying a side's option `key` (its own, shared, or a command input), when the tasks offer one. */
export function taskInputNameOf(command: TransferCommand, side: { prefix: string }, key: string): string | undefined {
  const options = commandOptions(command);
  const o = options.find((x) => x.side?.prefix === side.prefix && x.baseKey === key) ?? options.find((x) => !x.side && x.key === key);
  return o ? taskInputOf(o) : undefined;
}

export function taskParser(input: Pick<OptionDecl, 'kind' | 'choices'>) {
  return parserOf(input);
}

function taskJsonType(i: TaskInput): string {
  if (i.view.type) return i.view.type;
  if (i.kind === 'boolean') return 'boolean';
  if (i.kind === 'choice') return 'pickList';
  return 'string';
}

/** A task.json `inputs` entry. */
export function taskJsonInput(i: TaskInput): Record<string, unknown> {
  const v = i.view;
  return {
    name: i.name,
    type: taskJsonType(i),
    label: v.label,
    ...(v.defaultValue !== undefined ? { defaultValue: v.defaultValue } : {}),
    required: v.required ?? false,
    groupName: v.group,
    ...(v.visibleRule ? { visibleRule: v.visibleRule } : {}),
    ...(v.options ? { options: v.options } : {}),
    helpMarkDown: v.help,
  };
}

/**
 * A task.json with its `inputs` from the catalogue, ordered by the task's own groups (the
 * hand-written parts, groups included, are kept as they are).
 */
export function renderTaskJson(command: TaskCommand, current: string): string {
  const json = JSON.parse(current) as { groups?: { name: string }[]; inputs: unknown[] };
  const order = (json.groups ?? []).map((g) => g.name);
  const rank = (g: string) => (order.indexOf(g) < 0 ? order.length : order.indexOf(g));
  const inputs = taskInputs(command)
    .map((input, index) => ({ input, index }))
    .sort((a, b) => rank(a.input.view.group) - rank(b.input.view.group) || a.index - b.index)
    .map(({ input }) => taskJsonInput(input));
  return `${JSON.stringify({ ...json, inputs }, null, 2)}\n`;
}

const ACTION_COMMANDS: Record<TaskCommand, string> = {
  export: 'export',
  import: 'import',
  migrate: 'migrate',
  verify: 'verify',
  archive: 'archive-*',
  throughput: 'throughput-*',
};

export interface ActionInput {
  name: string;
  description: string;
  required: boolean;
  default?: string;
}

/** The action.yml inputs: every task input in kebab-case (but the service connection and the tasks' own `command`). */
export function actionInputs(): ActionInput[] {
  const order: TaskCommand[] = [...TRANSFER_COMMANDS, 'archive', 'throughput'];
  const byName = new Map<string, { input: TaskInput; commands: string[] }>();
  for (const command of order) {
    for (const input of taskInputs(command)) {
      if (input.name === 'azureSubscription' || input.name === 'command') continue;
      const entry = byName.get(input.name);
      if (entry) entry.commands.push(ACTION_COMMANDS[command]);
      else byName.set(input.name, { input, commands: [ACTION_COMMANDS[command]] });
    }
  }
  const out: ActionInput[] = Object.entries(ACTION_ONLY).map(([name, a]) => ({ name, ...a }));
  for (const { input, commands } of byName.values()) {
    const v = input.view;
    const oneOf = v.options ? ` One of: ${Object.keys(v.options).join(', ')}.` : '';
    out.push({
      name: kebabCase(input.name),
      description: `${v.actionHelp ?? v.help}${oneOf} (${commands.join(', ')})`,
      required: false,
      ...(v.defaultValue !== undefined ? { default: v.defaultValue } : {}),
    });
  }
  return out;
}

/** action.yml with its `inputs:` block from the catalogue (the rest kept as it is). */
export function renderActionYml(current: string): string {
  const start = current.indexOf('\ninputs:\n');
  const end = current.indexOf('\noutputs:\n');
  if (start < 0 || end < start) throw new Error('action.yml has no `inputs:` block followed by `outputs:`.');
  const lines = actionInputs().flatMap((i) => [
    `  ${i.name}:`,
    `    description: ${JSON.stringify(i.description)}`,
    `    required: ${i.required}`,
    ...(i.default !== undefined ? [`    default: ${JSON.stringify(i.default)}`] : []),
  ]);
  return `${current.slice(0, start)}\ninputs:\n${lines.join('\n')}${current.slice(end)}`;
}
