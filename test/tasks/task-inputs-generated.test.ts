/**
 * The task.json inputs, the action.yml inputs and the flag tables of docs/cli.md are generated
 * from the option catalogue (src/options/) by `npm run generate:inputs`: what is committed must be
 * what the catalogue gives, so an option cannot be added, renamed or reworded in one place only.
 */
import { relative } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { generatedFiles } from '../../scripts/generate-task-inputs.js';
import { repoRoot } from '../../scripts/build-tasks.js';
import { renderActionYml, renderTaskJson } from '../../src/options/task-inputs.js';

describe('Generated task inputs (npm run generate:inputs)', () => {
  for (const f of generatedFiles()) {
    it(`${relative(repoRoot, f.path)} is what the option catalogue gives`, () => {
      expect(f.current === f.expected, `${relative(repoRoot, f.path)} differs from the catalogue: run \`npm run generate:inputs\` and commit the result`).to.equal(true);
    });
  }

  it('the check can fail: a hand edit of an input is seen', () => {
    const task = generatedFiles().find((f) => f.path.endsWith('DocferryImport/task.json'))!;
    const edited = task.current.replace('"label": "Batch bytes"', '"label": "Batch size in bytes"');
    expect(edited).to.not.equal(task.current);
    expect(renderTaskJson('import', edited)).to.not.equal(edited);
  });

  it('keeps the hand-written parts of task.json and action.yml as they are', () => {
    const task = generatedFiles().find((f) => f.path.endsWith('DocferryMigrate/task.json'))!;
    const { inputs: _a, ...before } = JSON.parse(task.current) as Record<string, unknown>;
    const { inputs: _b, ...after } = JSON.parse(task.expected) as Record<string, unknown>;
    void _a;
    void _b;
    expect(after).to.deep.equal(before);
    const action = generatedFiles().find((f) => f.path.endsWith('action.yml'))!;
    const y = parse(renderActionYml(action.current)) as Record<string, unknown>;
    const old = parse(action.current) as Record<string, unknown>;
    expect({ ...y, inputs: undefined }).to.deep.equal({ ...old, inputs: undefined });
  });
});
