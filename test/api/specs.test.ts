/**
 * The library API builds its store specs through the stores' own `specFromOptions` (the registry),
 * as the CLI and the tasks do, with its own rules: the caller's values only (no environment, no
 * default URI), messages naming its option keys, and a TokenCredential object as an extra.
 */
import { expect } from 'chai';
import { readApiOptions } from '../../src/api/catalogue-options.js';
import { databaseSpecOf, verifySideOf } from '../../src/api/specs.js';
import { UsageError } from '../../src/core/errors.js';
import { redact } from '../../src/core/secrets.js';
import { sidesOf, type TransferCommand } from '../../src/options/catalogue.js';

const [SOURCE] = sidesOf('export');
const [TARGET] = sidesOf('import');
const [FROM, TO] = sidesOf('migrate');
const [LEFT, RIGHT] = sidesOf('verify');

const endpoint = 'https://acct.documents.azure.com:443/';
const credential = { getToken: async () => ({ token: 't', expiresOnTimestamp: Date.now() + 60_000 }) };

function spec(command: TransferCommand, given: Record<string, unknown>, side = sidesOf(command)[0]!, extras: Record<string, unknown> = {}) {
  return databaseSpecOf(command, readApiOptions(command, given), extras, side);
}

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).to.be.instanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('library API: store specs through the registry', () => {
  it('a Cosmos DB source: key, RU budget, page size and connect timeout, the key registered as a secret', () => {
    const s = spec('export', { sourceType: 'cosmos', cosmosEndpoint: endpoint, cosmosKey: 'api-key-123', maxRu: 800, priority: 'low', pageSize: 50, connectTimeout: '5s' });
    expect(s).to.deep.equal({ type: 'cosmos', connection: { endpoint, key: 'api-key-123', connectTimeoutMs: 5000 }, pageSize: 50, ru: { maxRu: 800, priority: 'low', names: { maxRu: 'option "maxRu" of exportData', ruShare: 'option "ruShare" of exportData' } } });
    expect(redact('key api-key-123')).to.not.contain('api-key-123');
  });

  it('a TokenCredential extra wins over the key and useRbac; a bad one is refused by name', () => {
    const s = spec('import', { destType: 'cosmos', exportDir: 'e', cosmosEndpoint: endpoint, cosmosKey: 'k', useRbac: true }, TARGET, { cosmosCredential: credential });
    expect(s.type === 'cosmos' && s.connection.credential).to.equal(credential);
    expect(s.type === 'cosmos' && s.connection.key).to.equal(undefined);
    const m = spec('migrate', { fromType: 'cosmos', toType: 'mongodb', fromCosmosEndpoint: endpoint }, FROM, { fromCosmosCredential: credential });
    expect(m.type === 'cosmos' && m.connection.credential).to.equal(credential);
    expect(refusal(() => spec('export', { sourceType: 'cosmos', cosmosEndpoint: endpoint }, SOURCE, { cosmosCredential: 'token' }))).to.contain('option "cosmosCredential" takes a TokenCredential');
  });

  it('no credential: the message names the keys of this side and this function', () => {
    expect(refusal(() => spec('migrate', { fromType: 'mongodb', fromMongoUri: 'mongodb://h/', toType: 'cosmos', toCosmosEndpoint: endpoint }, TO))).to.equal(
      `migrate: no Cosmos DB credential for ${endpoint}: pass "toCosmosKey", a "toCosmosCredential" (TokenCredential), or "toUseRbac: true".`,
    );
    expect(refusal(() => spec('export', { sourceType: 'cosmos', cosmosEndpoint: 'ftp://x/', cosmosKey: 'k' }))).to.contain('option "cosmosEndpoint" of exportData');
  });

  it('reads no environment variable and has no default MongoDB URI', () => {
    const saved = { SRC_MONGO_URI: process.env.SRC_MONGO_URI, COSMOS_KEY: process.env.COSMOS_KEY };
    process.env.SRC_MONGO_URI = 'mongodb://from-the-environment/';
    process.env.COSMOS_KEY = 'env-key';
    try {
      expect(refusal(() => spec('export', { sourceType: 'mongodb' }))).to.equal(
        'exportData: option "mongoUri" is required with sourceType: "mongodb" (the library has no default and reads no environment variable).',
      );
      expect(refusal(() => spec('export', { sourceType: 'cosmos', cosmosEndpoint: endpoint }))).to.contain('no Cosmos DB credential');
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('a MongoDB target takes restoreObjectIds and the connect timeout; a Cosmos DB target refuses restoreObjectIds', () => {
    const s = spec('import', { destType: 'mongodb', exportDir: 'e', mongoUri: 'mongodb://u:pw-in-uri@h:27017/', restoreObjectIds: true, connectTimeout: 2000 }, TARGET);
    expect(s).to.deep.equal({ type: 'mongodb', uri: 'mongodb://u:pw-in-uri@h:27017/', restoreObjectIds: true, connectTimeoutMs: 2000 });
    expect(redact('pw-in-uri')).to.not.contain('pw-in-uri');
    expect(refusal(() => spec('migrate', { fromType: 'mongodb', fromMongoUri: 'mongodb://h/', toType: 'cosmos', toCosmosEndpoint: endpoint, toCosmosKey: 'k', restoreObjectIds: true }, TO))).to.equal(
      'migrate: option "restoreObjectIds" applies to a MongoDB target (toType: "mongodb").',
    );
    // A source never takes it (it is a target's option).
    expect(spec('migrate', { fromType: 'mongodb', fromMongoUri: 'mongodb://h/', toType: 'mongodb', toMongoUri: 'mongodb://i/', restoreObjectIds: true }, FROM)).to.deep.equal({ type: 'mongodb', uri: 'mongodb://h/' });
    expect(refusal(() => spec('export', { sourceType: 'mongodb', mongoUri: 'http://h/' }))).to.contain('exportData: option "mongoUri"').and.contain('is not a MongoDB connection string');
  });

  it('verify: an export directory, or a database with its own side budget', () => {
    const v = readApiOptions('verify', { leftType: 'dir', leftDir: 'some/export', rightType: 'cosmos', rightCosmosEndpoint: endpoint, rightCosmosKey: 'k', rightMaxRu: 400 });
    expect(verifySideOf(v, {}, LEFT!)).to.deep.equal({ type: 'dir', path: 'some/export' });
    const right = verifySideOf(v, {}, RIGHT!);
    expect(right.type === 'cosmos' && right.ru).to.deep.equal({ maxRu: 400, names: { maxRu: 'option "rightMaxRu" of verify', ruShare: 'option "rightRuShare" of verify' } });
    expect(refusal(() => verifySideOf(readApiOptions('verify', { leftType: 'dir', rightType: 'dir', rightDir: 'x' }), {}, LEFT!))).to.equal(
      'verify: option "leftDir" is required with leftType: "dir" (the library has no default and reads no environment variable).',
    );
  });
});
