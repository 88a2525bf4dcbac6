/**
 * The flag tables of docs/cli.md, from the option catalogue: between
 * `<!-- options:<command> -->` and `<!-- /options:<command> -->` (the rest of the page is prose).
 */
import { PLAN_OWN, commandOptions, flagOf, taskInputOf, TRANSFER_COMMANDS, type ResolvedOption, type TransferCommand } from './catalogue.js';

const cell = (s: string) => s.replace(/\|/g, '\\|');

function envCell(o: ResolvedOption): string {
  const names = o.side ? o.env?.[o.side.direction] : undefined;
  const parts: string[] = [];
  if (names?.length) parts.push(names.map((n) => `\`${n}\``).join(', '));
  if (o.cliDefault !== undefined) parts.push(`default \`${o.cliDefault}\``);
  return parts.join('; ');
}

/** `plan`: the options `docferry plan` adds to those of the command it plans. */
export function cliFlagTable(command: TransferCommand | 'plan'): string {
  const options = command === 'plan' ? PLAN_OWN.map((d): ResolvedOption => ({ ...d, baseKey: d.key, group: 'plan' })) : commandOptions(command);
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
  let out = text;
  for (const command of [...TRANSFER_COMMANDS, 'plan' as const]) {
    const open = `<!-- options:${command} -->`;
    const close = `<!-- /options:${command} -->`;
    const a = out.indexOf(open);
    const b = out.indexOf(close);
    if (a < 0 || b < a) continue;
    out = `${out.slice(0, a + open.length)}\n${cliFlagTable(command)}\n${out.slice(b)}`;
  }
  return out;
}
