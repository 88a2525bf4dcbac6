/**
 * Messages name options the way the reader sets them: `--allow-partial` on the command line,
 * the input `allowPartial` in an Azure DevOps task, `allow-partial` in the GitHub Action.
 * (The bundled task's case is in azure-devops-export-import.test.ts, "errors".)
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { kebabCase } from '../../src/options/catalogue.js';
import { flagsToInputs, withInputSpelling } from '../../tasks/common/input-names.js';
import { runCli } from '../support/cli.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const REFUSAL = '/x/manifest.json is missing: /x is not a finished export (the manifest is written last). Re-run the export, or pass --allow-partial to import the files that are there without any check.';

describe('Option names in messages: each front door spells them its own way', function () {
  this.timeout(60_000);
  after(() => removeTempDirs());

  it('the CLI says --allow-partial when it refuses an export directory without a manifest', async () => {
    const empty = join(await tempDir(), 'empty-export');
    await mkdir(empty);
    const r = await runCli(['import', '--dest-type', 'mongodb', '--mongo-uri', 'mongodb://127.0.0.1:1/', '--export-dir', empty]);
    expect(r.code).to.equal(4);
    expect(r.stderr).to.include('pass --allow-partial to import');
  });

  it('a task says "allowPartial", the action "allow-partial", from the same catalogue', () => {
    const flags = flagsToInputs('import');
    expect(withInputSpelling(REFUSAL, flags, (n) => n)).to.include('pass "allowPartial" to import').and.not.include('--allow-partial');
    expect(withInputSpelling(REFUSAL, flags, kebabCase)).to.include('pass "allow-partial" to import');
  });

  it('names shared and prefixed store options by their input, and leaves unknown flags alone', () => {
    const migrate = flagsToInputs('migrate');
    expect(withInputSpelling('Pass --max-ru <RU/s> instead.', migrate, (n) => n)).to.equal('Pass "maxRu" instead.');
    expect(withInputSpelling('check --to-cosmos-key', migrate, (n) => n)).to.equal('check "toCosmosKey"');
    expect(withInputSpelling('see --no-such-flag and --json', migrate, (n) => n)).to.equal('see --no-such-flag and --json');
    expect(withInputSpelling('with --layout', migrate, (n) => n)).to.equal('with "layoutFile"');
  });
});
