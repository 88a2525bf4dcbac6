/**
 * The CLI side of the option catalogue (src/options/catalogue.ts): commander options generated
 * from the declarations, flag values turned back into catalogue keys, and the stores' connection
 * specs built from them with the original scripts' environment variables as fallbacks.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { UsageError } from '../core/errors.js';
import { defaultLayoutPath, loadLayout } from '../core/layout.js';
import { defaultAzureCredential } from '../azure/credential.js';
import type { LayoutRef } from '../engine/export.js';
import {
  DEFAULT_MONGO_URI,
  TRANSFER_COMMANDS,
  camelCase,
  commandOptions,
  findOption,
  flagOf,
  parserOf,
  sidesOf,
  subcommandOptions,
  type Direction,
  type OptionDecl,
  type ResolvedOption,
  type Side,
  type SubcommandCommand,
  type TransferCommand,
} from '../options/catalogue.js';
import { OptionValueError, byteSize as byteSizeParser, duration as durationParser, type Parser } from '../options/parsers.js';
import type { OptionValues } from '../options/values.js';
import type { CosmosSpec } from '../stores/cosmos/descriptor.js';
import { registeredReaders, type ConnectionValues } from '../stores/descriptor.js';
import { SPEC_OPTIONS, isStoreKind, specFromOptions, storeTypeList, targetOptionMisfit, type StoreKind, type StoreSpec } from '../stores/registry.js';

export { DEFAULT_MONGO_URI, type Direction };

/** A catalogue parser as commander wants it: InvalidArgumentError naming the flag and the value. */
export function cliParser<T>(flag: string, parse: Parser<T>) {
  return (value: string): T => {
    try {
      return parse(value);
    } catch (err) {
      if (err instanceof OptionValueError) throw new InvalidArgumentError(`${flag} ${err.takes}, not "${value}".`);
      throw err;
    }
  };
}

/** A size in bytes: `2097152`, `512KB`, `2MB` or `1GB` (powers of 1024). */
export function byteSize(flag: string) {
  return cliParser(flag, byteSizeParser);
}

/** A duration in milliseconds: `30s`, `500ms`, `2m`, or a number of seconds. */
export function duration(flag: string) {
  return cliParser(flag, durationParser);
}

function toCommanderOption(o: ResolvedOption): Option | undefined {
  const flag = flagOf(o);
  if (!flag) return undefined;
  const spec = o.kind === 'boolean' ? `--${flag}` : `--${flag} ${o.valueName ?? '<value>'}`;
  const opt = new Option(spec, o.help);
  if (o.cliRequired) opt.makeOptionMandatory();
  if (o.cliDefault !== undefined) opt.default(o.cliDefault);
  if (o.kind === 'choice' && o.cliChoices) opt.choices(o.choices as string[]);
  else if (o.cliRaw) return opt;
  else if (o.kind === 'list') opt.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), ...value.split(',').map((s) => s.trim()).filter(Boolean)]);
  else {
    const parse = o.kind === 'choice' ? undefined : parserOf(o);
    if (parse) opt.argParser(cliParser(`--${flag}`, parse));
  }
  return opt;
}

/** Adds the catalogue options of `docferry archive push` and the like (the subcommand's flags, in its --help order). */
export function addSubcommandOptions(cmd: Command, command: SubcommandCommand, subcommand: string): Command {
  for (const o of subcommandOptions(command, subcommand)) {
    const opt = toCommanderOption(o);
    if (opt) cmd.addOption(opt);
  }
  return cmd;
}

/** Adds every catalogue option of a transfer command (the flags its front door offers). */
export function addCatalogueOptions(cmd: Command, command: TransferCommand): Command {
  for (const o of commandOptions(command)) {
    const opt = toCommanderOption(o);
    if (opt) cmd.addOption(opt);
  }
  return cmd;
}

/** Adds the options of a catalogue group outside the transfer commands' (`docferry plan`'s PLAN_OWN). */
export function addOptions(cmd: Command, decls: readonly OptionDecl[], group: string): Command {
  for (const d of decls) {
    const opt = toCommanderOption({ ...d, baseKey: d.key, group });
    if (opt) cmd.addOption(opt);
  }
  return cmd;
}

/** commander's values of such a group, by catalogue key. */
export function ownValues(flags: Record<string, unknown>, decls: readonly OptionDecl[]): OptionValues {
  const values: OptionValues = {};
  for (const d of decls) {
    const flag = flagOf(d);
    const v = flag ? flags[camelCase(flag)] : undefined;
    if (v !== undefined) values[d.key] = v;
  }
  return values;
}

/** commander's values (named after the flags) -> the catalogue's keys. */
export function optionValues(flags: Record<string, unknown>, command: TransferCommand): OptionValues {
  const values: OptionValues = {};
  for (const o of commandOptions(command)) {
    const flag = flagOf(o);
    if (!flag) continue;
    const v = flags[camelCase(flag)];
    if (v !== undefined) values[o.key] = v;
  }
  return values;
}

/** The option a side's store asks for: the side's own (prefixed) option, else a command option (connectTimeout, restoreObjectIds). */
function optionFor(command: TransferCommand, side: Side, key: string): ResolvedOption | undefined {
  const options = commandOptions(command);
  return options.find((o) => o.side === side && o.baseKey === key) ?? options.find((o) => !o.side && o.key === key);
}

function commandOf(side: Side): TransferCommand {
  const command = TRANSFER_COMMANDS.find((c) => sidesOf(c).includes(side));
  if (!command) throw new Error(`internal: no command has the side ${JSON.stringify(side.prefix)}`);
  return command;
}

/**
 * The CLI's reading of one side's options for its store: the flags, then the original scripts'
 * environment variables (SRC_* for a source, DST_* for a target), then the catalogue's CLI default.
 * Every secret it hands out is registered first, so no output can print it.
 */
function cliConnection(values: OptionValues, side: Side, env: NodeJS.ProcessEnv): ConnectionValues {
  const command = commandOf(side);
  const option = (key: string) => {
    const o = optionFor(command, side, key);
    if (!o) throw new Error(`internal: the ${command} command has no option ${JSON.stringify(key)} for its ${side.word.toLowerCase()} side`);
    return o;
  };
  const envNames = (key: string) => option(key).env?.[side.direction] ?? [];
  const flag = (key: string) => `--${flagOf(option(key))}`;
  const value = (key: string): unknown => {
    const o = optionFor(command, side, key);
    if (!o) return undefined;
    const given = values[o.key];
    if (given !== undefined) return given;
    for (const name of o.env?.[side.direction] ?? []) {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
    }
    return o.envDefault;
  };
  return {
    direction: side.direction,
    value,
    ...registeredReaders(value),
    how(key) {
      const names = envNames(key);
      return names.length > 0 ? `${flag(key)} (or ${names.join(' / ')})` : flag(key);
    },
    subject: (_key, noun) => `The ${side.direction} ${noun}`,
    missing: (key, need) => new UsageError(`--${flagOf(findOption(command, side.typeKey))} ${String(values[side.typeKey])} needs ${flag(key)} <${need.placeholder}>.`),
    azureCredential({ service, keyKey, entraKey }) {
      const key = this.secret(keyKey);
      if (value(entraKey)) return { credential: defaultAzureCredential() };
      if (!key) throw new UsageError(`No ${service} key: pass ${flag(keyKey)}, set ${envNames(keyKey).join(' or ')}, or use ${flag(entraKey)} for Entra ID authentication.`);
      return { key };
    },
  };
}

/** The store type a side names, checked against the types the command offers (the registry's). */
export function storeTypeOf(values: OptionValues, side: Side): StoreKind {
  const command = commandOf(side);
  const type = values[side.typeKey];
  const allowed = findOption(command, side.typeKey).choices ?? [];
  if (!isStoreKind(type) || !allowed.includes(type)) {
    throw new UsageError(`--${flagOf(findOption(command, side.typeKey))} must be ${storeTypeList(allowed)}, not "${String(type)}".`);
  }
  return type;
}

/**
 * Every side's store type, then the store options given for a target whose store does not take
 * them (`--restore-objectids` with a Cosmos DB target): the usage errors a run gives before it reads anything.
 */
export function checkSides(values: OptionValues, command: TransferCommand): void {
  const sides = sidesOf(command);
  for (const side of sides) storeTypeOf(values, side);
  for (const side of sides.filter((s) => s.direction === 'target')) {
    for (const key of SPEC_OPTIONS) {
      const o = optionFor(command, side, key);
      if (!o || o.side) continue;
      const misfit = targetOptionMisfit(key, values[o.key], values[side.typeKey]);
      if (misfit) {
        throw new UsageError(`--${flagOf(o)} applies to a ${storeTypeList(misfit.names)} target (--${flagOf(findOption(command, side.typeKey))} ${misfit.types.join(' or ')}).`);
      }
    }
  }
}

/** A side's spec, built by its store (src/stores/registry.ts) from the flags and environment. */
export function sideSpec(values: OptionValues, side: Side, env: NodeJS.ProcessEnv = process.env): StoreSpec {
  return specFromOptions(storeTypeOf(values, side), cliConnection(values, side, env));
}

/** A side's Cosmos DB spec, whatever its type flag says (tests and tools). */
export function cosmosSpec(values: OptionValues, side: Side, env: NodeJS.ProcessEnv = process.env): CosmosSpec {
  return specFromOptions('cosmos', cliConnection(values, side, env));
}

export function layoutFrom(values: OptionValues): LayoutRef {
  const path = values.layoutFile as string | undefined;
  return { layout: loadLayout(path ?? defaultLayoutPath), source: path ?? 'default' };
}
