/**
 * Static scan: the inputs a task's code reads are exactly the inputs its task.json (or action.yml)
 * declares. Reads go through Inputs methods named like task-lib's (getInput, getBoolInput, ...)
 * with a literal camelCase name; the scan follows each entry point's relative imports inside
 * tasks/ and collects those names. A group of catalogue options is read by
 * `readGroup(ctx, '<command>', '<group>')`, which the scan expands into the group's input names
 * from the same catalogue (src/options/) the task.json inputs are generated from. Only the two
 * platform adapters may call the platform's own input functions, and nothing else may read an
 * input by a computed name.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { expect } from 'chai';
import { azureDevOpsRoot, azureDevOpsTaskNames, githubRoot, repoRoot } from '../../scripts/build-tasks.js';
import { kebabCase } from '../../tasks/common/inputs.js';
import { taskInputsOfGroup, taskInputsOfSide } from '../../src/options/task-inputs.js';
import type { TransferCommand } from '../../src/options/catalogue.js';
import { readTaskJson } from './support/agent.js';
import { readActionYml } from './support/runner.js';

const tasksRoot = join(repoRoot, 'tasks');
const READERS = ['getInput', 'getRequiredInput', 'getSecretInput', 'getQuietInput', 'getBoolInput', 'getChoiceInput', 'getRequiredChoiceInput', 'getIntInput', 'getListInput'];
const READ_CALL = new RegExp(`\\b(${READERS.join('|')})\\(\\s*(?:'([A-Za-z0-9]+)'|"([A-Za-z0-9]+)"|([^'")\\s][^,)]*))`, 'g');
/** The platform's own input functions, allowed only in the adapter that wraps them. */
const PLATFORM_READ = /\b(?:tl|core)\.(getInput|getBoolInput|getBooleanInput|getMultilineInput|getPathInput|getDelimitedInput|getInputRequired|getPathInputRequired|getEndpointAuthorizationParameter|getEndpointAuthorization)\(/g;
/** A catalogue group read by its declared names. */
const GROUP_READ = /\breadGroup\(\s*\w+\s*,\s*'(\w+)'\s*,\s*'([\w-]+)'\s*\)/g;
/** A side's connection inputs, read as its store asks for them (tasks/common/stores.ts). */
const SIDE_READ = /\bsideSpec\(\s*\w+\s*,\s*'(\w+)'\s*,\s*'(\w*)'\s*,/g;
/**
 * Where the readers are defined (common/inputs.ts), where they meet the platform (the adapters),
 * and the catalogue readers (common/option-inputs.ts and common/stores.ts: names from the catalogue, expanded above).
 */
const ADAPTERS = new Set(['tasks/common/inputs.ts', 'tasks/azure-devops/shared/inputs.ts', 'tasks/github/src/inputs.ts', 'tasks/common/option-inputs.ts', 'tasks/common/stores.ts']);

/** Files reachable from an entry through relative imports, staying inside tasks/. */
function reachable(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)\.js'/g)) {
      const target = resolve(dirname(file), `${m[1]}.ts`);
      if (target.startsWith(tasksRoot) && existsSync(target)) visit(target);
    }
  };
  visit(entry);
  return [...seen].sort();
}

interface Scan {
  names: Set<string>;
  computed: string[];
  platformCalls: string[];
  files: string[];
}

function scan(entry: string): Scan {
  const files = reachable(entry);
  const names = new Set<string>();
  const computed: string[] = [];
  const platformCalls: string[] = [];
  for (const file of files) {
    const rel = relative(repoRoot, file);
    const text = readFileSync(file, 'utf8');
    const isAdapter = ADAPTERS.has(rel);
    for (const m of text.matchAll(READ_CALL)) {
      const name = m[2] ?? m[3];
      if (name) names.add(name);
      else if (!isAdapter && !/^\w+\s*:/.test(m[4] ?? '')) computed.push(`${rel}: ${m[0]}`);
    }
    for (const m of text.matchAll(PLATFORM_READ)) if (!isAdapter) platformCalls.push(`${rel}: ${m[0]}`);
    for (const m of text.matchAll(GROUP_READ)) {
      const inputs = taskInputsOfGroup(m[1] as TransferCommand, m[2]!);
      if (inputs.length === 0) computed.push(`${rel}: ${m[0]} (no such catalogue group)`);
      for (const i of inputs) names.add(i.name);
    }
    for (const m of text.matchAll(SIDE_READ)) {
      const inputs = taskInputsOfSide(m[1] as TransferCommand, m[2]!);
      if (inputs.length === 0) computed.push(`${rel}: ${m[0]} (no such command side)`);
      for (const i of inputs) names.add(i.name);
    }
    if (!isAdapter && /\bsideSpec\(/.test(text) && [...text.matchAll(/\bsideSpec\(/g)].length !== [...text.matchAll(SIDE_READ)].length) {
      computed.push(`${rel}: sideSpec with a computed command or side`);
    }
    if (!isAdapter && /\breadGroup\(/.test(text) && [...text.matchAll(/\breadGroup\(/g)].length !== [...text.matchAll(GROUP_READ)].length) {
      computed.push(`${rel}: readGroup with a computed command or group`);
    }
  }
  return { names, computed, platformCalls, files: files.map((f) => relative(repoRoot, f)) };
}

describe('Pipeline tasks: inputs read == inputs declared (static scan of the task sources)', () => {
  for (const name of azureDevOpsTaskNames()) {
    describe(name, () => {
      const s = scan(join(azureDevOpsRoot, name, 'index.ts'));
      const declared = readTaskJson(name).inputs.map((i) => i.name).sort();

      it('reads every input it declares, and declares every input it reads', () => {
        expect([...s.names].sort()).to.deep.equal(declared);
      });

      it('reads inputs only by literal name, and task-lib\'s input functions only in the adapter', () => {
        expect(s.computed).to.deep.equal([]);
        expect(s.platformCalls).to.deep.equal([]);
        expect(s.files).to.include('tasks/azure-devops/shared/inputs.ts');
      });
    });
  }

  it('the scan really follows imports: the export task reads sourceType (its own op) and azureSubscription (shared runner)', () => {
    const s = scan(join(azureDevOpsRoot, 'DocferryExport', 'index.ts'));
    expect(s.files).to.include.members(['tasks/common/ops/export.ts', 'tasks/azure-devops/shared/run-task.ts', 'tasks/common/stores.ts', 'tasks/common/run-inputs.ts']);
    expect([...s.names]).to.include.members(['sourceType', 'azureSubscription', 'layoutFile', 'allowedRejects', 'batchBytes', 'maxRu']);
    expect([...s.names]).to.not.include('destType');
  });

  it('azure-pipelines-task-lib is loaded only through shared/tl.ts, which takes the secret snapshot first', () => {
    const offenders: string[] = [];
    for (const name of azureDevOpsTaskNames()) {
      for (const f of reachable(join(azureDevOpsRoot, name, 'index.ts'))) {
        const rel = relative(repoRoot, f);
        if (/from 'azure-pipelines-task-lib/.test(readFileSync(f, 'utf8')) && rel !== 'tasks/azure-devops/shared/tl.ts') offenders.push(rel);
      }
    }
    expect([...new Set(offenders)]).to.deep.equal([]);
    const tl = readFileSync(join(azureDevOpsRoot, 'shared', 'tl.ts'), 'utf8');
    expect(tl.indexOf("import './env-snapshot.js'")).to.be.greaterThan(-1);
    expect(tl.indexOf("import './env-snapshot.js'")).to.be.lessThan(tl.indexOf("from 'azure-pipelines-task-lib"));
  });

  describe('GitHub Action', () => {
    const s = scan(join(githubRoot, 'src', 'main.ts'));
    const declared = Object.keys(readActionYml().inputs).sort();

    it('reads every input action.yml declares (kebab-case), and declares every input it reads', () => {
      expect([...s.names].map(kebabCase).sort()).to.deep.equal(declared);
    });

    it('reads inputs only by literal name, and @actions/core\'s input functions only in the adapter', () => {
      expect(s.computed).to.deep.equal([]);
      expect(s.platformCalls).to.deep.equal([]);
    });

    it('offers every Azure DevOps input under the same name in kebab-case (except the service connection)', () => {
      const ado = new Set(azureDevOpsTaskNames().flatMap((n) => readTaskJson(n).inputs.map((i) => i.name)));
      ado.delete('azureSubscription');
      const missing = [...ado].map(kebabCase).filter((n) => !declared.includes(n));
      expect(missing).to.deep.equal([]);
    });
  });
});
