import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Layout } from '../../src/core/layout.js';
import type { Manifest } from '../../src/core/manifest.js';
import type { RunSummary } from '../../src/engine/events.js';
import { runCli } from '../support/cli.js';
import { cosmosClient, startCosmosTestServer, type CosmosTestServer } from '../support/cosmos.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

describe('The schema travels with the data: Cosmos DB container properties recorded and checked (cosmosdb-server)', function () {
  this.timeout(120_000);
  let source: CosmosTestServer;
  let target: CosmosTestServer;
  let work: string;

  before(async () => {
    [source, target] = await Promise.all([startCosmosTestServer(), startCosmosTestServer()]);
    work = await tempDir('docferry-carry-cosmos-');
  });
  after(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
    await removeTempDirs();
  });

  it('export records partition key, unique keys and TTL; import into an existing container that differs names each difference', async () => {
    const db = `auth${source.suffix}`;
    const client = cosmosClient(source);
    const { database } = await client.databases.createIfNotExists({ id: db });
    const { container } = await database.containers.createIfNotExists({ id: 'user_roles', partitionKey: { paths: ['/id'], version: 2 }, uniqueKeyPolicy: { uniqueKeys: [{ paths: ['/email'] }] }, defaultTtl: 3600 });
    await container.items.create({ id: 'r1', email: 'a@example.org' });
    client.dispose();
    const layout: Layout = { name: 'carry', databases: [{ name: db, containers: [{ name: 'user_roles', partitionKey: { paths: ['/id'] }, uniqueKeys: [['/email']], defaultTtl: 3600 }] }] };
    const layoutFile = join(work, 'layout.json');
    await writeFile(layoutFile, JSON.stringify(layout));
    const exportDir = join(work, 'export');
    const env = { COSMOS_KEY: source.key };
    const e = await runCli(['export', '--source-type', 'cosmos', '--cosmos-endpoint', source.endpoint, '--layout', layoutFile, '--output-dir', exportDir], env);
    expect(e.code, e.stderr).to.equal(0);
    const manifest = JSON.parse(await readFile(join(exportDir, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.schemas![`${db}.user_roles`]!.cosmos).to.deep.include({ partitionKey: { paths: ['/id'], kind: 'Hash', version: 2 }, uniqueKeys: [['/email']], defaultTtl: 3600 });

    // The target container exists already, made by hand without the unique key and the TTL.
    const t = cosmosClient(target);
    const { database: tdb } = await t.databases.createIfNotExists({ id: db });
    await tdb.containers.createIfNotExists({ id: 'user_roles', partitionKey: { paths: ['/id'], version: 2 } });
    t.dispose();
    const r = await runCli(['import', '--dest-type', 'cosmos', '--cosmos-endpoint', target.endpoint, '--export-dir', exportDir, '--layout', layoutFile, '--json'], { COSMOS_KEY: target.key });
    expect(r.code, r.stderr).to.equal(0);
    const summary = JSON.parse(r.stdout) as RunSummary;
    expect(summary.warnings.some((w) => w.startsWith(`${db}.user_roles: unique keys are []`) && /set only when a container is created/.test(w)), summary.warnings.join('\n')).to.equal(true);
    expect(summary.warnings.some((w) => w.startsWith(`${db}.user_roles: default TTL is off, the schema says 3600`))).to.equal(true);

    const quiet = await runCli(['import', '--dest-type', 'cosmos', '--cosmos-endpoint', target.endpoint, '--export-dir', exportDir, '--layout', layoutFile, '--json', '--no-indexes'], { COSMOS_KEY: target.key });
    expect(quiet.code, quiet.stderr).to.equal(0);
    expect((JSON.parse(quiet.stdout) as RunSummary).warnings.filter((w) => /unique keys|default TTL/.test(w))).to.deep.equal([]);
  });
});
