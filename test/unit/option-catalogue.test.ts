import { expect } from 'chai';
import { Command } from 'commander';
import { addCatalogueOptions, cosmosSpec, optionValues } from '../../src/cli/options.js';
import { endpointFromValues } from '../../src/cli/commands/verify.js';
import { commandOptions, sidesOf } from '../../src/options/catalogue.js';
import { tuningFrom } from '../../src/options/values.js';
import type { CliContext } from '../../src/cli/context.js';

function parse(command: 'export' | 'import' | 'migrate' | 'verify', args: string[]) {
  const cmd = addCatalogueOptions(new Command(command).exitOverride().configureOutput({ writeErr: () => {} }), command);
  cmd.parse(args, { from: 'user' });
  return optionValues(cmd.opts(), command);
}

const ctx: CliContext = { out: { log: () => {}, result: () => {} }, env: {}, interactive: false, exitCode: 0 };

describe('Option catalogue', () => {
  it('declares a store option once and prefixes it per side, with SRC_* fallbacks for source/left and DST_* for target/right', () => {
    const migrate = commandOptions('migrate').filter((o) => o.baseKey === 'cosmosKey');
    expect(migrate.map((o) => [o.flag, o.env?.[o.side!.direction]])).to.deep.equal([
      ['from-cosmos-key', ['SRC_COSMOS_KEY', 'COSMOS_KEY']],
      ['to-cosmos-key', ['DST_COSMOS_KEY', 'COSMOS_KEY']],
    ]);
    const verify = commandOptions('verify').filter((o) => o.baseKey === 'maxRu');
    expect(verify.map((o) => o.flag)).to.deep.equal(['left-max-ru', 'right-max-ru']);
    // One task input for both sides.
    expect(verify.map((o) => o.taskKey)).to.deep.equal(['maxRu', 'maxRu']);
  });

  it('parses flags with the catalogue parsers and hands back catalogue keys', () => {
    const v = parse('import', ['--dest-type', 'cosmos', '--export-dir', 'd', '--batch-bytes', '512KB', '--layout', 'l.json', '--checkpoint', 'c', '--restore-objectids', '--collections', 'a,b', '--collections', 'c']);
    expect(v).to.include({ destType: 'cosmos', exportDir: 'd', batchBytes: 512 * 1024, layoutFile: 'l.json', checkpointDir: 'c', restoreObjectIds: true, mode: 'upsert' });
    expect(v.collections).to.deep.equal(['a', 'b', 'c']);
    expect(tuningFrom(v)).to.deep.equal({ batchBytes: 512 * 1024 });
  });

  it('refuses a bad value naming the flag and the value', () => {
    expect(() => parse('migrate', ['--from', 'cosmos', '--to', 'cosmos', '--to-ru-share', '150%'])).to.throw(/--to-ru-share takes a share between 0 and 1, such as 0.5 or 50%, not "150%"/);
  });

  it('gives each side of verify its own RU budget (verify used to drop --right-max-ru)', () => {
    const v = parse('verify', ['--left-type', 'dir', '--left-dir', 'x', '--right-type', 'cosmos', '--right-cosmos-endpoint', 'https://a.documents.azure.com:443/', '--right-cosmos-key', 'k', '--right-max-ru', '400', '--right-priority', 'low']);
    const [left, right] = sidesOf('verify');
    const spec = endpointFromValues(v, right!, ctx);
    expect(spec.type === 'cosmos' && spec.ru).to.deep.equal({ maxRu: 400, priority: 'low', names: { maxRu: '--right-max-ru', ruShare: '--right-ru-share' } });
    expect(cosmosSpec({ ...v, leftCosmosEndpoint: 'https://l.documents.azure.com:443/', leftCosmosKey: 'k' }, left!, {}).ru).to.equal(undefined);
  });

  it('builds a Cosmos DB spec from the environment when no flag is given', () => {
    const [target] = sidesOf('import');
    const spec = cosmosSpec({}, target!, { DST_COSMOS_ENDPOINT: 'https://b.documents.azure.com:443/', COSMOS_KEY: 'k2' });
    expect(spec.type === 'cosmos' && spec.connection.endpoint).to.equal('https://b.documents.azure.com:443/');
  });
});
