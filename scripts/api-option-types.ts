/**
 * Renders src/api/options.generated.ts: the TypeScript types of the library API's options, one
 * interface per command, from the option catalogue (src/options/catalogue.ts) as the API reads it
 * (src/api/catalogue-options.ts). `npm run generate:inputs` writes it with the task inputs;
 * test/api/options.test.ts fails when the committed file differs from what this renders.
 */
import { join } from 'node:path';
import { apiOptions } from '../src/api/catalogue-options.js';
import { TRANSFER_COMMANDS, flagOf, type ResolvedOption, type TransferCommand } from '../src/options/catalogue.js';

export const apiTypesPath = (repoRoot: string) => join(repoRoot, 'src', 'api', 'options.generated.ts');

const INTERFACE: Record<TransferCommand, string> = { export: 'ExportCatalogueOptions', import: 'ImportCatalogueOptions', migrate: 'MigrateCatalogueOptions', verify: 'VerifyCatalogueOptions' };

function typeOf(o: ResolvedOption): string {
  switch (o.kind) {
    case 'boolean':
      return 'boolean';
    case 'string':
      return 'string';
    case 'choice':
      return (o.choices ?? []).map((c) => JSON.stringify(c)).join(' | ');
    case 'list':
      return 'readonly string[] | string';
    case 'shard':
      return '`${number}/${number}`';
    case 'share':
      return 'number | `${number}%`';
    case 'bytes':
    case 'duration':
      return 'number | string';
    default:
      return 'number';
  }
}

const UNIT: Partial<Record<ResolvedOption['kind'], string>> = {
  bytes: 'A number is bytes; a string is read as the CLI reads it (`4MB`, `512KB`).',
  duration: 'A number is milliseconds; a string is read as the CLI reads it (`30s`, `500ms`, `2m`).',
  share: 'A share in (0, 1], or a percentage string (`50%`).',
  list: 'An array, or one comma-separated string.',
};

/** The CLI help, without what only the CLI does (environment fallbacks, its default URI). */
function doc(o: ResolvedOption): string {
  const help = o.help
    .replace(/\s*\(env: [^)]*\)/g, '')
    .replace(/; prefer the environment, arguments are visible to other processes/, '')
    .replace(/\*\//g, '*\\/');
  const flag = flagOf(o);
  const lines = [`${help.charAt(0).toUpperCase()}${help.slice(1)}.`.replace(/\.\.$/, '.'), ...(UNIT[o.kind] ? [UNIT[o.kind]!] : []), ...(o.cliDefault !== undefined ? [`@defaultValue ${JSON.stringify(o.cliDefault)}`] : []), `CLI: \`--${flag}\`.`];
  return `  /**\n${lines.map((l) => `   * ${l}`).join('\n')}\n   */`;
}

export function renderApiOptionTypes(): string {
  const out = [
    '// Generated from the option catalogue (src/options/catalogue.ts) by `npm run generate:inputs`',
    '// (scripts/api-option-types.ts). Do not edit: change the catalogue and run it again.',
    '',
  ];
  for (const command of TRANSFER_COMMANDS) {
    out.push(`/** The catalogue options of \`docferry ${command}\`, under their catalogue keys, as the library takes them. */`);
    out.push(`export interface ${INTERFACE[command]} {`);
    for (const o of apiOptions(command)) {
      out.push(doc(o));
      out.push(`  ${o.key}${o.cliRequired ? '' : '?'}: ${typeOf(o)};`);
    }
    out.push('}', '');
  }
  out.push('/** The catalogue keys each command takes (the same as the interfaces above), for tests and tools. */');
  out.push('export const API_OPTION_KEYS = {');
  for (const command of TRANSFER_COMMANDS) out.push(`  ${command}: [${apiOptions(command).map((o) => JSON.stringify(o.key)).join(', ')}],`);
  out.push('} as const;', '');
  return out.join('\n');
}

const invokedDirectly = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invokedDirectly) {
  const { readFileSync, writeFileSync } = await import('node:fs');
  const { fileURLToPath } = await import('node:url');
  const path = apiTypesPath(join(fileURLToPath(new URL('.', import.meta.url)), '..'));
  const expected = renderApiOptionTypes();
  if (readFileSync(path, 'utf8') !== expected) {
    writeFileSync(path, expected);
    console.log(`wrote ${path}`);
  }
}
