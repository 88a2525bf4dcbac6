/**
 * One version everywhere (docs/versioning.md): the npm package, the Azure DevOps extension, every
 * task, the GitHub Action and the CHANGELOG say the same; pipelines and docs reference the
 * tasks and the action by that major version.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { azureDevOpsRoot, azureDevOpsTaskNames, buildGithubAction } from '../../scripts/build-tasks.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const repoRoot = resolve(import.meta.dirname, '..', '..');
const json = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, any>;
const pkg = json(join(repoRoot, 'package.json')) as { version: string };
const major = Number(pkg.version.split('.')[0]);

function filesUnder(dir: string, ext: RegExp): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'dist' ? [] : filesUnder(p, ext);
    return ext.test(e.name) ? [p] : [];
  });
}

describe('versions agree', function () {
  this.timeout(120_000);
  after(removeTempDirs);

  it('package.json has a semantic version', () => {
    expect(pkg.version).to.match(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
  });

  it('the Azure DevOps extension manifest has the package version', () => {
    expect(json(join(azureDevOpsRoot, 'vss-extension.json')).version).to.equal(pkg.version);
  });

  it('every task.json has the package version', () => {
    const names = azureDevOpsTaskNames();
    expect(names.length).to.be.greaterThan(0);
    for (const name of names) {
      const v = json(join(azureDevOpsRoot, name, 'task.json')).version as { Major: number; Minor: number; Patch: number };
      expect(`${v.Major}.${v.Minor}.${v.Patch}`, name).to.equal(pkg.version.replace(/-.*$/, ''));
    }
  });

  it('the GitHub Action, built from the sources, reports the package version', async () => {
    const out = await tempDir('docferry-action-version-');
    const { outfile } = await buildGithubAction(out);
    // scripts/build-tasks.ts puts package facts into the bundle as constants: packageRoot, toolName, toolVersion.
    const m = /__dirname,\w+="docferry",\w+="([^"]+)"/.exec(readFileSync(outfile, 'utf8'));
    expect(m, 'the package facts in the bundle').to.not.equal(null);
    expect(m![1]).to.equal(pkg.version);
  });

  it('CHANGELOG.md starts with the package version', () => {
    const first = /^## \[?(\d+\.\d+\.\d+[^\]\s]*)\]?/m.exec(readFileSync(join(repoRoot, 'CHANGELOG.md'), 'utf8'));
    expect(first?.[1]).to.equal(pkg.version);
  });

  it('pipelines and docs reference the tasks and the action by the package major version', () => {
    const files = [...filesUnder(join(repoRoot, 'pipelines'), /\.ya?ml$/), ...filesUnder(join(repoRoot, 'docs'), /\.md$/), join(repoRoot, 'README.md'), join(azureDevOpsRoot, 'overview.md')];
    const wrong: string[] = [];
    let seen = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\b(Docferry[A-Z][A-Za-z]+)@(\d+)\b|tasks\/github@v(\d+)\b/g)) {
        seen++;
        const n = Number(m[2] ?? m[3]);
        if (n !== major) wrong.push(`${relative(repoRoot, file)}: ${m[0]}`);
      }
    }
    expect(seen).to.be.greaterThan(5);
    expect(wrong).to.deep.equal([]);
  });
});
