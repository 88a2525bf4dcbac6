import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect } from 'chai';
import { buildGithubAction, githubRoot } from '../../scripts/build-tasks.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));
}

describe('GitHub Action: the committed dist bundle', function () {
  this.timeout(60_000);
  after(removeTempDirs);

  it('is byte for byte what `npm run build:tasks` builds from the current sources (rebuild and commit tasks/github/dist if not)', async () => {
    const fresh = await tempDir('docferry-dist-');
    await buildGithubAction(fresh);
    const committed = join(githubRoot, 'dist');
    const names = (dir: string) => files(dir).map((f) => relative(dir, f)).sort();
    expect(names(committed)).to.deep.equal(names(fresh));
    const stale = names(fresh).filter((name) => !readFileSync(join(fresh, name)).equals(readFileSync(join(committed, name))));
    expect(stale, `out of date: ${stale.join(', ')}; run npm run build:tasks and commit tasks/github/dist`).to.deep.equal([]);
  });

  it('builds deterministically: two builds give the same bytes', async () => {
    const [a, b] = [await tempDir('docferry-dist-a-'), await tempDir('docferry-dist-b-')];
    await buildGithubAction(a);
    await buildGithubAction(b);
    expect(readFileSync(join(a, 'index.cjs')).equals(readFileSync(join(b, 'index.cjs')))).to.equal(true);
  });
});
