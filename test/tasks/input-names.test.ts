/**
 * Messages name options the way the reader sets them: `--allow-partial` on the command line,
 * the input `allowPartial` in an Azure DevOps task, `allow-partial` in the GitHub Action.
 * (The bundled task's case is in azure-devops-export-import.test.ts, "errors".)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { kebabCase } from '../../src/options/catalogue.js';
import { flagsToInputs, withInputSpelling } from '../../tasks/common/input-names.js';
import { runCli } from '../support/cli.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const REFUSAL = 'Refusing to import /x; nothing was written:\n  - copilot/sources.json is listed in the manifest but missing.\nPass --allow-partial to import anyway (documents may be missing or damaged).';

describe('Option names in messages: each front door spells them its own way', function () {
  this.timeout(60_000);
  after(() => removeTempDirs());

  it('the CLI says --allow-partial when it refuses an export whose manifest lists a missing file', async () => {
    const broken = join(await tempDir(), 'broken-export');
    await mkdir(broken);
    await writeFile(join(broken, 'manifest.json'), JSON.stringify({ databases: { copilot: ['sources'] }, document_counts: { 'copilot.sources': 5 } }));
    const r = await runCli(['import', '--dest-type', 'mongodb', '--mongo-uri', 'mongodb://127.0.0.1:1/', '--export-dir', broken]);
    expect(r.code).to.equal(4);
    expect(r.stderr).to.include('Pass --allow-partial to import anyway');
  });

  it('a task says "allowPartial", the action "allow-partial", from the same catalogue', () => {
    const flags = flagsToInputs('import');
    expect(withInputSpelling(REFUSAL, flags, (n) => n)).to.include('Pass "allowPartial" to import').and.not.include('--allow-partial');
    expect(withInputSpelling(REFUSAL, flags, kebabCase)).to.include('Pass "allow-partial" to import');
  });

  it('names shared and prefixed store options by their input, and leaves unknown flags alone', () => {
    const migrate = flagsToInputs('migrate');
    expect(withInputSpelling('Pass --max-ru <RU/s> instead.', migrate, (n) => n)).to.equal('Pass "maxRu" instead.');
    expect(withInputSpelling('check --to-cosmos-key', migrate, (n) => n)).to.equal('check "toCosmosKey"');
    expect(withInputSpelling('see --no-such-flag and --json', migrate, (n) => n)).to.equal('see --no-such-flag and --json');
    expect(withInputSpelling('with --layout', migrate, (n) => n)).to.equal('with "layoutFile"');
  });
});
