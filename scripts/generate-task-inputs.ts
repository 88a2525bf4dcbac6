/**
 * Writes the `inputs` of every Azure DevOps task.json and of tasks/github/action.yml from the
 * option catalogue (src/options/). `npm run generate:inputs`; commit what it changes.
 * test/tasks/task-inputs-generated.test.ts fails when the committed files differ.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TASK_NAMES, renderActionYml, renderTaskJson, type TaskCommand } from '../src/options/task-inputs.js';
import { renderCliFlagTables } from '../src/options/docs.js';
import { azureDevOpsRoot, githubRoot, repoRoot } from './build-tasks.js';

export interface GeneratedFile {
  path: string;
  current: string;
  expected: string;
}

/** Every generated file with what it holds and what the catalogue gives. */
export function generatedFiles(): GeneratedFile[] {
  const files: GeneratedFile[] = [];
  for (const [command, name] of Object.entries(TASK_NAMES) as [TaskCommand, string][]) {
    const path = join(azureDevOpsRoot, name, 'task.json');
    const current = readFileSync(path, 'utf8');
    files.push({ path, current, expected: renderTaskJson(command, current) });
  }
  const action = join(githubRoot, 'action.yml');
  const actionText = readFileSync(action, 'utf8');
  files.push({ path: action, current: actionText, expected: renderActionYml(actionText) });
  const cliDoc = join(repoRoot, 'docs', 'cli.md');
  const cliText = readFileSync(cliDoc, 'utf8');
  files.push({ path: cliDoc, current: cliText, expected: renderCliFlagTables(cliText) });
  return files;
}

const invokedDirectly = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invokedDirectly) {
  for (const f of generatedFiles()) {
    if (f.current === f.expected) continue;
    writeFileSync(f.path, f.expected);
    console.log(`wrote ${f.path}`);
  }
}
