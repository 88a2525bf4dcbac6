/**
 * Parity of the front doors: every option of every CLI command is an input of the matching task
 * and of the action, or the catalogue says why it is CLI-only; every task input is a catalogue
 * option of the command (with a CLI flag, or a reason it has none). Read from the real commander
 * program and the committed task.json / action.yml, not from the catalogue alone.
 */
import { expect } from 'chai';
import { buildProgram } from '../../src/cli/main.js';
import type { CliContext } from '../../src/cli/context.js';
import { commandOptions, flagOf, kebabCase, SUBCOMMAND_COMMANDS, SUBCOMMANDS, subcommandOptions, taskInputOf, TRANSFER_COMMANDS, type ResolvedOption } from '../../src/options/catalogue.js';
import { TASK_NAMES } from '../../src/options/task-inputs.js';
import { readTaskJson } from './support/agent.js';
import { readActionYml } from './support/runner.js';

const ctx: CliContext = { out: { log: () => {}, result: () => {} }, env: {}, interactive: false, exitCode: 0 };

describe('Option parity: CLI commands, Azure DevOps tasks and the GitHub Action', () => {
  const program = buildProgram(ctx);
  const actionInputs = new Set(Object.keys(readActionYml().inputs));

  for (const command of TRANSFER_COMMANDS) {
    describe(command, () => {
      const cli = program.commands.find((c) => c.name() === command)!;
      const catalogue = commandOptions(command);
      const taskInputs = new Set(readTaskJson(TASK_NAMES[command]).inputs.map((i) => i.name));

      it('has every CLI flag from the catalogue', () => {
        const flags = cli.options.map((o) => o.long!.slice(2)).filter((f) => f !== 'help');
        const unknown = flags.filter((f) => !catalogue.some((o) => flagOf(o) === f));
        expect(unknown, 'flags not declared in src/options/catalogue.ts').to.deep.equal([]);
      });

      it('offers every CLI option as a task input and an action input, or says why not', () => {
        const missing: string[] = [];
        for (const o of catalogue) {
          const flag = flagOf(o);
          if (!flag) continue;
          const input = taskInputOf(o);
          if (!input) {
            if (!o.cliOnly?.trim()) missing.push(`--${flag}: no task input and no CLI-only reason`);
            continue;
          }
          if (!taskInputs.has(input)) missing.push(`--${flag}: task input "${input}" not in ${TASK_NAMES[command]}/task.json`);
          if (!actionInputs.has(kebabCase(input))) missing.push(`--${flag}: input "${kebabCase(input)}" not in action.yml`);
        }
        expect(missing).to.deep.equal([]);
      });

      it('has a catalogue option behind every task input (a CLI flag, or why there is none)', () => {
        const orphans: string[] = [];
        for (const name of taskInputs) {
          if (name === 'azureSubscription') continue;
          const options = catalogue.filter((o) => taskInputOf(o) === name);
          if (options.length === 0) orphans.push(`${name}: not in the catalogue`);
          else if (options.every((o) => !flagOf(o) && !o.taskOnly?.trim())) orphans.push(`${name}: no CLI flag and no task-only reason`);
        }
        expect(orphans).to.deep.equal([]);
      });
    });
  }

  /** Every CLI option with a task input in task.json and action.yml, or a CLI-only reason. */
  function unoffered(options: readonly ResolvedOption[], taskInputs: Set<string>, task: string): string[] {
    const missing: string[] = [];
    for (const o of options) {
      const flag = flagOf(o);
      if (!flag) continue;
      const input = taskInputOf(o);
      if (!input) {
        if (!o.cliOnly?.trim()) missing.push(`--${flag}: no task input and no CLI-only reason`);
        continue;
      }
      if (!taskInputs.has(input)) missing.push(`--${flag}: task input "${input}" not in ${task}/task.json`);
      if (!actionInputs.has(kebabCase(input))) missing.push(`--${flag}: input "${kebabCase(input)}" not in action.yml`);
    }
    return missing;
  }

  for (const command of SUBCOMMAND_COMMANDS) {
    describe(`${command} (${SUBCOMMANDS[command].join(', ')})`, () => {
      const cli = program.commands.find((c) => c.name() === command)!;
      const task = TASK_NAMES[command];
      const taskJson = readTaskJson(task);
      const taskInputs = new Set(taskJson.inputs.map((i) => i.name));

      for (const sub of SUBCOMMANDS[command]) {
        it(`${command} ${sub}: has every CLI flag from the catalogue, and offers each as a task and action input or says why not`, () => {
          const cmd = cli.commands.find((c) => c.name() === sub)!;
          const catalogue = subcommandOptions(command, sub);
          const flags = cmd.options.map((o) => o.long!.slice(2)).filter((f) => f !== 'help');
          expect(flags, 'flags not declared in src/options/catalogue.ts').to.deep.equal(catalogue.map(flagOf));
          expect(unoffered(catalogue, taskInputs, task)).to.deep.equal([]);
        });
      }

      it('has every subcommand as a choice of its `command` input, and nothing else', () => {
        expect(cli.commands.map((c) => c.name())).to.deep.equal([...SUBCOMMANDS[command]]);
        const input = taskJson.inputs.find((i) => i.name === 'command') as { options?: Record<string, string> } | undefined;
        expect(Object.keys(input?.options ?? {})).to.deep.equal([...SUBCOMMANDS[command]]);
      });

      it('has a catalogue option behind every task input (a CLI flag, or why there is none), shown for the subcommands that take it', () => {
        const orphans: string[] = [];
        const catalogue = subcommandOptions(command);
        for (const input of taskJson.inputs as { name: string; visibleRule?: string }[]) {
          if (input.name === 'azureSubscription' || input.name === 'command' || input.name === 'failOnWarnings') continue;
          const o = catalogue.find((x) => taskInputOf(x) === input.name);
          if (!o) orphans.push(`${input.name}: not in the catalogue`);
          else if (!flagOf(o) && !o.taskOnly?.trim()) orphans.push(`${input.name}: no CLI flag and no task-only reason`);
          else if (o.subcommands.length < SUBCOMMANDS[command].length && input.visibleRule !== o.subcommands.map((s) => `command = ${s}`).join(' || ')) {
            orphans.push(`${input.name}: shown for ${input.visibleRule ?? 'every command'}, taken by ${o.subcommands.join(', ')}`);
          }
        }
        expect(orphans).to.deep.equal([]);
      });
    });
  }

  it('covers the two drifts of issue 13: --batch-bytes in the transfer tasks, --right-max-ru in verify', () => {
    for (const command of ['export', 'import', 'migrate'] as const) {
      expect(readTaskJson(TASK_NAMES[command]).inputs.map((i) => i.name)).to.include('batchBytes');
    }
    expect(actionInputs.has('batch-bytes')).to.equal(true);
    const verify = program.commands.find((c) => c.name() === 'verify')!;
    expect(verify.options.map((o) => o.long)).to.include.members(['--right-max-ru', '--left-ru-share', '--right-priority']);
    expect(readTaskJson(TASK_NAMES.verify).inputs.map((i) => i.name)).to.include.members(['maxRu', 'ruShare', 'priority']);
  });
});
