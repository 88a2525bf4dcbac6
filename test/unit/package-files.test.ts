/**
 * What `npm pack` would put into the tarball with package.json's `files` as it is (a dry run: no
 * build). npm run release:check packs and installs for real; this is the quick half.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REQUIRED, tarballProblems } from '../../scripts/release-rules.js';

const repoRoot = resolve(import.meta.dirname, '..', '..');

describe('the npm tarball (npm pack --dry-run)', function () {
  this.timeout(60_000);
  let paths: string[];

  before(() => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    paths = (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
  });

  it('holds no tests, benchmarks, scripts, CI files, tools, task sources, pipelines or .vsix', () => {
    expect(paths.length).to.be.greaterThan(10);
    expect(tarballProblems(paths).forbidden).to.deep.equal([]);
  });

  it('holds bin/, layouts/, README, LICENSE, CHANGELOG and docs/, and dist/ whenever it is built', () => {
    for (const f of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'bin/docferry.js', 'layouts/default.json', 'layouts/layout.schema.json', 'docs/cli.md', 'docs/versioning.md']) expect(paths, f).to.include(f);
    // dist/ is git-ignored and built by `prepare`: whatever of it exists here is packed.
    for (const f of REQUIRED.filter((r) => r.startsWith('dist/'))) expect(paths.includes(f), f).to.equal(existsSync(join(repoRoot, f)));
  });

  it('the rules catch what the tarball held before `files` existed', () => {
    const before = ['test/unit/bson.test.ts', 'bench/run.ts', 'scripts/demo.ts', '.ci/run', 'tools/ferretdb/main.go', 'tasks/azure-devops/DocferryExport/index.ts', 'dist/docferry-1.0.0.vsix', 'dist/cli/main.js.map', 'README.md'];
    const flagged = new Set(tarballProblems(before).forbidden.map((p) => p.split(' is ')[0]));
    expect([...flagged].sort()).to.deep.equal(before.filter((p) => p !== 'README.md').sort());
    expect(tarballProblems(before).missing).to.include.members(['dist/cli/main.js', 'LICENSE']);
  });

  it('exports maps ., ./pulumi and ./layouts/* with types, into files the tarball holds', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { exports: Record<string, string | { types: string; default: string }>; files: string[] };
    expect(Object.keys(pkg.exports)).to.include.members(['.', './pulumi', './layouts/*']);
    for (const key of ['.', './pulumi']) {
      const e = pkg.exports[key] as { types: string; default: string };
      expect(e.types, key).to.match(/^\.\/dist\/.*\.d\.ts$/);
      expect(e.default, key).to.match(/^\.\/dist\/.*\.js$/);
      expect(REQUIRED, key).to.include.members([e.types.slice(2), e.default.slice(2)]);
    }
    expect(pkg.exports['./layouts/*']).to.equal('./layouts/*');
  });
});
