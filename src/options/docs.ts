/**
 * The flag tables of docs/cli.md, from the option catalogue: between
 * `<!-- options:<command> -->` and `<!-- /options:<command> -->`, `<!-- options:archive push -->` for a
 * subcommand (the rest of the page is prose).
 */
import {
  PLAN_OWN,
  commandOptions,
  flagOf,
  SUBCOMMAND_COMMANDS,
  SUBCOMMANDS,
  subcommandOptions,
  taskInputOf,
  TRANSFER_COMMANDS,
  type ResolvedOption,
  type SubcommandCommand,
  type TransferCommand,
} from './catalogue.js';

const cell = (s: string) => s.replace(/\|/g, '\\|');

function envCell(o: ResolvedOption & { cliEnv?: string }): string {
  const names = o.side ? o.env?.[o.side.direction] : o.cliEnv ? [o.cliEnv] : undefined;
  const parts: string[] = [];
  if (names?.length) parts.push(names.map((n) => `\`${n}\``).join(', '));
  if (o.cliDefault !== undefined) parts.push(`default \`${o.cliDefault}\``);
  return parts.join('; ');
}

/** `plan`: the options `docferry plan` adds to those of the command it plans. */
export function cliFlagTable(command: TransferCommand | 'plan'): string {
  return flagTable(command === 'plan' ? PLAN_OWN.map((d): ResolvedOption => ({ ...d, baseKey: d.key, group: 'plan' })) : commandOptions(command));
}

/** The table of `docferry archive push` and the like. */
export function subcommandFlagTable(command: SubcommandCommand, subcommand: string): string {
  return flagTable(subcommandOptions(command, subcommand));
}

function flagTable(options: readonly ResolvedOption[]): string {
  const rows = options
    .filter((o) => flagOf(o))
    .map((o) => {
      const flag = `\`--${flagOf(o)}${o.kind === 'boolean' ? '' : ` ${o.valueName ?? '<value>'}`}\``;
      const task = taskInputOf(o);
      return `| ${cell(flag)} | ${cell(o.help)}${o.cliRequired ? ' (required)' : ''} | ${cell(envCell(o))} | ${task ? `\`${task}\`` : `CLI only: ${cell(o.cliOnly ?? '')}`} |`;
    });
  return ['| flag | what | environment, default | task input |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

export function renderCliFlagTables(text: string): string {
  const tables: [string, () => string][] = [
    ...[...TRANSFER_COMMANDS, 'plan' as const].map((c): [string, () => string] => [c, () => cliFlagTable(c)]),
    ...SUBCOMMAND_COMMANDS.flatMap((c) => SUBCOMMANDS[c].map((sub): [string, () => string] => [`${c} ${sub}`, () => subcommandFlagTable(c, sub)])),
  ];
  let out = text;
  for (const [name, table] of tables) {
    const open = `<!-- options:${name} -->`;
    const close = `<!-- /options:${name} -->`;
    const a = out.indexOf(open);
    const b = out.indexOf(close);
    if (a < 0 || b < a) continue;
    out = `${out.slice(0, a + open.length)}\n${table()}\n${out.slice(b)}`;
  }
  return out;
}
