import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { runCli } from '../support/cli.js';
import { cosmosClient, startCosmosTestServer, type CosmosTestServer } from '../support/cosmos.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';
import { installMocks, ofType, resetRecorded, settled } from './support/mocks.js';

const POLICY = {
  indexingMode: 'consistent',
  automatic: true,
  includedPaths: [{ path: '/*' }],
  excludedPaths: [{ path: '/"_etag"/?' }],
  compositeIndexes: [[{ path: '/collection', order: 'ascending' }, { path: '/date', order: 'descending' }]],
};

describe('pulumi/target provisions from a captured layout unchanged', function () {
  this.timeout(60_000);
  let server: CosmosTestServer;

  before(async () => {
    await installMocks();
    server = await startCosmosTestServer();
    const client = cosmosClient(server);
    const { database } = await client.databases.createIfNotExists({ id: `copilot${server.suffix}` });
    await database.containers.createIfNotExists({ id: 'documents', partitionKey: { paths: ['/collection'], version: 2 }, indexingPolicy: POLICY as never });
    await database.containers.createIfNotExists({ id: 'user_roles', partitionKey: { paths: ['/id'], version: 2 }, uniqueKeyPolicy: { uniqueKeys: [{ paths: ['/email'] }] }, defaultTtl: 3600 });
    client.dispose();
  });
  beforeEach(() => resetRecorded());
  after(async () => {
    await server?.stop();
    await removeTempDirs();
  });

  it('the containers come out with the partition keys, indexing policy, unique keys and TTL the account has', async () => {
    const out = join(await tempDir('docferry-captured-pulumi-'), 'captured.json');
    const r = await runCli(['layout', 'capture', '--from', 'cosmos', '--cosmos-endpoint', server.endpoint, '--out', out], { COSMOS_KEY: server.key });
    expect(r.code, r.stderr).to.equal(0);
    const { loadLayout } = await import('../../src/core/layout.js');
    const { CosmosTargetFromLayout } = await import('../../src/pulumi/target.js');
    const layout = loadLayout(out);
    expect(JSON.parse(await readFile(out, 'utf8'))).to.deep.equal(layout);
    const result = new CosmosTargetFromLayout('captured', { layout, resourceGroupName: 'rg', account: { create: false, name: 'acct' } });
    await settled([...result.databases, ...result.containers]);
    const c = new Map(ofType('azure-native:cosmosdb:SqlResourceSqlContainer').map((x) => [x.inputs.containerName, x.inputs]));
    expect(c.get('documents')!.resource.partitionKey).to.deep.include({ paths: ['/collection'], kind: 'Hash', version: 2 });
    expect(c.get('documents')!.resource.indexingPolicy).to.deep.equal(POLICY);
    expect(c.get('user_roles')!.resource.uniqueKeyPolicy).to.deep.equal({ uniqueKeys: [{ paths: ['/email'] }] });
    expect(c.get('user_roles')!.resource.defaultTtl).to.equal(3600);
  });
});
