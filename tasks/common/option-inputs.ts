/**
 * Task inputs read through the option catalogue (src/options/): a group's inputs (tuning, the RU
 * budget) by the names, parsers and secrecy the catalogue declares, so a new option of a group
 * needs no code here. The static scan (test/tasks/inputs-declared.test.ts) expands each
 * `readGroup(ctx, '<command>', '<group>')` into the group's input names from the same catalogue.
 */
import { UsageError } from '../../src/core/errors.js';
import { OptionValueError } from '../../src/options/parsers.js';
import { taskInputsOfGroup, taskParser, type TaskInput } from '../../src/options/task-inputs.js';
import type { TransferCommand } from '../../src/options/catalogue.js';
import type { OptionValues } from '../../src/options/values.js';
import type { OperationContext } from './context.js';

/** One catalogue input, parsed (a boolean: true or undefined); a parse error names the input. */
export function readInput(ctx: OperationContext, input: TaskInput): unknown {
  const { inputs } = ctx;
  if (input.kind === 'boolean') return inputs.getBoolInput(input.name) || undefined;
  const raw = input.secret ? inputs.getSecretInput(input.name) : inputs.getInput(input.name);
  if (raw === undefined) return undefined;
  const parse = taskParser(input);
  if (!parse) return raw;
  try {
    return parse(raw);
  } catch (err) {
    if (err instanceof OptionValueError) throw new UsageError(`Input "${inputs.label(input.name)}" ${err.takes}, not "${raw}".`);
    throw err;
  }
}

/** The given inputs of one catalogue group, parsed, keyed by input name (empty inputs left out). */
export function readGroup(ctx: OperationContext, command: TransferCommand, group: 'tuning' | 'ru-budget' | 'mirror' | 'shard'): OptionValues {
  const values: OptionValues = {};
  for (const input of taskInputsOfGroup(command, group)) {
    const v = readInput(ctx, input);
    if (v !== undefined) values[input.name] = v;
  }
  return values;
}
