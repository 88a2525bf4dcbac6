/**
 * Layers: the pipeline tasks and the action stand beside the CLI, not on it. Files under tasks/
 * import src/core, src/engine, src/stores, src/azure and src/options, never src/cli; the option
 * catalogue (src/options/) imports no front door, task library or Pulumi.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect } from 'chai';
import { repoRoot } from '../../scripts/build-tasks.js';

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (/\.(ts|js|mjs|cjs)$/.test(name)) out.push(path);
  }
  return out;
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
}

describe('Layers', () => {
  it('no file under tasks/ imports src/cli', () => {
    const offenders = sources(join(repoRoot, 'tasks')).flatMap((f) =>
      importsOf(f)
        .filter((spec) => /(^|\/)src\/cli(\/|$)/.test(spec))
        .map((spec) => `${relative(repoRoot, f)} imports ${spec}`),
    );
    expect(offenders).to.deep.equal([]);
  });

  it('the scan sees imports of src/cli (it would catch the old tasks/common/stores.ts)', () => {
    expect("import { registerUriSecrets } from '../../src/cli/options.js';".match(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/)?.[1]).to.match(/(^|\/)src\/cli(\/|$)/);
  });

  it('src/options/ imports no front door, task library or Pulumi', () => {
    const offenders = sources(join(repoRoot, 'src', 'options')).flatMap((f) =>
      importsOf(f)
        .filter((spec) => /\/cli\/|^\.\.\/cli|tasks\/|azure-pipelines-task-lib|@actions\/|@pulumi\/|^commander$/.test(spec))
        .map((spec) => `${relative(repoRoot, f)} imports ${spec}`),
    );
    expect(offenders).to.deep.equal([]);
  });
});
