/**
 * The engine and the stores name options as the CLI spells them (`--allow-partial`); a task's
 * author sets inputs (`allowPartial`, `allow-partial` in the action). The option catalogue knows
 * both spellings: this wrapper renders an operation's errors and warnings with the platform's.
 */
import { commandOptions, flagOf, kebabCase, subcommandOptions, taskInputOf, type TransferCommand } from '../../src/options/catalogue.js';
import type { TaskCommand } from '../../src/options/task-inputs.js';
import type { Operation, OperationContext } from './context.js';

/** CLI flag (without `--`) -> task input name, for one task. */
export function flagsToInputs(command: TaskCommand): Map<string, string> {
  const map = new Map<string, string>();
  if (command === 'archive' || command === 'throughput') {
    for (const o of subcommandOptions(command)) {
      const flag = flagOf(o);
      const input = taskInputOf(o);
      if (flag && input) map.set(flag, input);
    }
    return map;
  }
  for (const o of commandOptions(command as TransferCommand)) {
    const flag = flagOf(o);
    const input = taskInputOf(o);
    if (!flag || !input) continue;
    map.set(flag, input);
    // A shared store option (maxRu for both sides) is also named unprefixed by the stores.
    if (o.taskKey) map.set(kebabCase(o.baseKey), input);
  }
  return map;
}

/** `--allow-partial` -> `"allowPartial"` (or the platform's label), for every flag the task has an input for. */
export function withInputSpelling(message: string, flags: Map<string, string>, label: (input: string) => string): string {
  return message.replace(/--([a-z][a-z0-9-]*)(?: <[^>\s]+>)?/g, (whole, flag: string) => {
    const input = flags.get(flag);
    return input ? `"${label(input)}"` : whole;
  });
}

/** The operation, with its errors, warnings and failure message naming task inputs instead of CLI flags. */
export function withInputNames(command: TaskCommand, operation: Operation): Operation {
  const flags = flagsToInputs(command);
  return async (ctx: OperationContext) => {
    const spell = (m: string) => withInputSpelling(m, flags, (input) => ctx.inputs.label(input));
    const named: OperationContext = {
      ...ctx,
      log: { info: (l) => ctx.log.info(l), warning: (l) => ctx.log.warning(spell(l)) },
      events: (ev) => ctx.events(ev.type === 'warning' ? { ...ev, message: spell(ev.message) } : ev),
    };
    try {
      const result = await operation(named);
      // The summary's warnings are the ones already logged: spelt alike, the verdict counts each once.
      const summary = result.summary?.warnings ? { summary: { ...result.summary, warnings: result.summary.warnings.map(spell) } } : {};
      return { ...result, ...summary, ...(result.failure ? { failure: spell(result.failure) } : {}) };
    } catch (err) {
      if (err instanceof Error) err.message = spell(err.message);
      throw err;
    }
  };
}
