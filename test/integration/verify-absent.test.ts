import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import type { Layout } from '../../src/core/layout.js';
import type { VerifySummary } from '../../src/engine/verify.js';
import { runCli } from '../support/cli.js';
import { seedCosmos, startCosmosTestServer, type CosmosTestServer } from '../support/cosmos.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { startMongoTestServer, type MongoTestServer } from '../support/ferretdb.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const pk = { paths: ['/id'], kind: 'Hash' as const };

/** A proxy whose account will not list its databases (a role without the right to): every other request passes. */
async function unlistable(server: CosmosTestServer): Promise<FaultProxy> {
  const proxy = await startFaultProxy(server.endpoint);
  proxy.setPolicy((req) => (req.method === 'GET' && /^\/dbs\/?(\?.*)?$/.test(req.url) ? { type: 'respond', status: 403, body: JSON.stringify({ code: 'Forbidden', message: 'injected: no right to list' }) } : { type: 'pass' }));
  return proxy;
}

const cosmosSide = (side: 'left' | 'right', s: { endpoint: string; key: string }) => [`--${side}-type`, 'cosmos', `--${side}-cosmos-endpoint`, s.endpoint, `--${side}-cosmos-key`, s.key];
const mongoSide = (side: 'left' | 'right', uri: string) => [`--${side}-type`, 'mongodb', `--${side}-mongo-uri`, uri];

/**
 * verify and a collection the layout names that is missing (issue 16: "handled the same way on
 * both backends: a warning, and ... recorded as absent; exit 0. --strict makes both cases
 * failures"). Neither side holding it: reported in `absent`, exit 0, exit 1 with --strict, on
 * Cosmos DB and MongoDB alike, whether it is known from the listings or only found at the read
 * (a side that cannot be listed). The right side lacking what the left holds: those documents
 * are missing (exit 5), and a Cosmos DB 404 reads as empty rather than failing the run.
 */
describe('verify: a collection the layout names and a side lacks', function () {
  this.timeout(180_000);
  let a: CosmosTestServer;
  let b: CosmosTestServer;
  let mongo: MongoTestServer;
  let work: string;
  let layoutFile: string;
  const db = `copilot_vabs${process.pid}`;
  const staged = `copilot_vabs_staging${process.pid}`;

  before(async function () {
    this.timeout(600_000); // a cold build of the FerretDB launcher
    [a, b, mongo] = await Promise.all([startCosmosTestServer(), startCosmosTestServer(), startMongoTestServer()]);
    const sources = [{ id: 's1' }, { id: 's2' }];
    await seedCosmos(a, db, 'sources', sources);
    await seedCosmos(a, db, 'archives', [{ id: 'a1' }, { id: 'a2' }, { id: 'a3' }]);
    await seedCosmos(a, db, 'empties', []);
    await seedCosmos(b, db, 'sources', sources);
    const client = new MongoClient(mongo.uri);
    try {
      // The MongoDB left side is `db`, its copy `staged` (verify --map db.*=staged.*).
      await client.db(db).collection('sources').insertMany([{ _id: 's1' as never }, { _id: 's2' as never }]);
      await client.db(db).collection('archives').insertMany([{ _id: 'a1' as never }, { _id: 'a2' as never }, { _id: 'a3' as never }]);
      await client.db(staged).collection('sources').insertMany([{ _id: 's1' as never }, { _id: 's2' as never }]);
    } finally {
      await client.close();
    }
    work = await tempDir('docferry-verify-absent-');
    const layout: Layout = { name: 'verify-absent', defaultPartitionKey: pk, databases: [{ name: db, containers: ['sources', 'threads', 'archives', 'empties'].map((name) => ({ name, partitionKey: pk })) }] };
    layoutFile = join(work, 'layout.json');
    await writeFile(layoutFile, JSON.stringify(layout));
  });

  after(async () => {
    await Promise.all([a?.stop(), b?.stop(), mongo?.stop()]);
    await removeTempDirs();
  });

  const verify = async (args: string[]) => {
    const r = await runCli(['verify', ...args, '--layout', layoutFile, '--json']);
    return { ...r, summary: r.stdout ? (JSON.parse(r.stdout) as VerifySummary) : undefined };
  };
  const threadsAbsent = (s: VerifySummary | undefined, target?: string) => {
    expect(s?.absent).to.deep.equal([{ database: db, collection: 'threads', ...(target ? { target: { database: target, collection: 'threads' } } : {}) }]);
    expect(s?.collections.map((c) => c.collection)).not.to.include('threads');
  };

  describe('Cosmos DB on both sides', () => {
    it('neither side holds it: absent, a warning, exit 0; --strict: exit 1', async () => {
      const r = await verify([...cosmosSide('left', a), ...cosmosSide('right', b), '--collections', 'sources,threads']);
      expect(r.code, r.stderr).to.equal(0);
      threadsAbsent(r.summary);
      expect(r.summary!.collections.map((c) => [c.collection, c.equal])).to.deep.equal([['sources', true]]);
      expect(r.summary!.warnings?.some((w) => w.includes(`${db}.threads is named by the layout but does not exist`))).to.equal(true);
      const table = await runCli(['verify', ...cosmosSide('left', a), ...cosmosSide('right', b), '--collections', 'sources,threads', '--layout', layoutFile]);
      expect(table.stdout).to.include(`verify ${db}.threads: absent on both sides, not compared`);

      const strict = await verify([...cosmosSide('left', a), ...cosmosSide('right', b), '--collections', 'sources,threads', '--strict']);
      expect(strict.code, strict.stderr).to.equal(1);
      expect(strict.stderr).to.include(`${db}.threads is named by the layout but does not exist`);
    });

    it('the right side cannot be listed: the collection is read on both, both 404, and it is absent (it was exit 5)', async () => {
      const proxy = await unlistable(b);
      try {
        const r = await verify([...cosmosSide('left', a), ...cosmosSide('right', { endpoint: proxy.endpoint, key: b.key }), '--collections', 'sources,threads']);
        expect(r.code, r.stderr).to.equal(0);
        threadsAbsent(r.summary);
        expect(proxy.injected.get(403), 'the right side was asked for its listing').to.be.greaterThan(0);
        expect(r.summary!.warnings?.some((w) => w.includes(`${db}.threads: exists on neither side`) && w.includes('--strict makes this a failure'))).to.equal(true);
      } finally {
        await proxy.stop();
      }
    });

    it('the left side cannot be listed: the same; --strict refuses a left it cannot list (exit 1)', async () => {
      const proxy = await unlistable(a);
      try {
        const left = cosmosSide('left', { endpoint: proxy.endpoint, key: a.key });
        const r = await verify([...left, ...cosmosSide('right', b), '--collections', 'sources,threads']);
        expect(r.code, r.stderr).to.equal(0);
        threadsAbsent(r.summary);
        expect(r.stderr).to.include('Cannot list the databases and containers');
        const strict = await verify([...left, ...cosmosSide('right', b), '--collections', 'sources,threads', '--strict']);
        expect(strict.code, strict.stderr).to.equal(1);
        expect(strict.stderr).to.include('--strict: cannot list the databases and containers');
      } finally {
        await proxy.stop();
      }
    });

    it('the right side lacks what the left holds: its documents are missing (exit 5); the 404 reads as empty, no error', async () => {
      const r = await verify([...cosmosSide('left', a), ...cosmosSide('right', b), '--collections', 'archives']);
      expect(r.code, r.stderr).to.equal(5);
      expect(r.summary!.collections).to.have.length(1);
      expect(r.summary!.collections[0]).to.include({ collection: 'archives', leftCount: 3, rightCount: 0, missingTotal: 3, absentOn: 'right', equal: false });
      expect(r.summary!.collections[0]!.problems).to.deep.equal([]);
      expect(r.summary!.absent).to.equal(undefined);
    });

    it('an empty collection the right lacks is equal, and a difference under --strict (exit 5)', async () => {
      const r = await verify([...cosmosSide('left', a), ...cosmosSide('right', b), '--collections', 'empties']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.summary!.collections[0]).to.include({ collection: 'empties', leftCount: 0, rightCount: 0, absentOn: 'right', equal: true });
      const strict = await verify([...cosmosSide('left', a), ...cosmosSide('right', b), '--collections', 'empties', '--strict']);
      expect(strict.code, strict.stderr).to.equal(5);
      expect(strict.summary!.collections[0]!.problems[0]).to.include(`--strict: ${db}.empties does not exist in`);
    });
  });

  describe('MongoDB on both sides (FerretDB, the copy under --map)', () => {
    const map = () => ['--map', `${db}.*=${staged}.*`];

    it('neither side holds it: absent (with the mapped name), exit 0; --strict: exit 1', async () => {
      const r = await verify([...mongoSide('left', mongo.uri), ...mongoSide('right', mongo.uri), ...map(), '--collections', 'sources,threads']);
      expect(r.code, r.stderr).to.equal(0);
      threadsAbsent(r.summary, staged);
      expect(r.summary!.collections.map((c) => [c.collection, c.equal])).to.deep.equal([['sources', true]]);
      const strict = await verify([...mongoSide('left', mongo.uri), ...mongoSide('right', mongo.uri), ...map(), '--collections', 'sources,threads', '--strict']);
      expect(strict.code, strict.stderr).to.equal(1);
      expect(strict.stderr).to.include(`${db}.threads is named by the layout but does not exist`);
    });

    it('the right side lacks what the left holds: its documents are missing (exit 5)', async () => {
      const r = await verify([...mongoSide('left', mongo.uri), ...mongoSide('right', mongo.uri), ...map(), '--collections', 'archives']);
      expect(r.code, r.stderr).to.equal(5);
      expect(r.summary!.collections[0]).to.include({ collection: 'archives', leftCount: 3, rightCount: 0, missingTotal: 3, absentOn: 'right', equal: false });
    });
  });

  describe('MongoDB and Cosmos DB', () => {
    it('MongoDB left, a Cosmos DB right that cannot be listed: absent, exit 0 (the right 404 was exit 5)', async () => {
      const proxy = await unlistable(b);
      try {
        const r = await verify([...mongoSide('left', mongo.uri), ...cosmosSide('right', { endpoint: proxy.endpoint, key: b.key }), '--collections', 'threads']);
        expect(r.code, r.stderr).to.equal(0);
        threadsAbsent(r.summary);
        expect(r.summary!.collections).to.deep.equal([]);
      } finally {
        await proxy.stop();
      }
    });

    it('a Cosmos DB left that cannot be listed, a MongoDB right: absent, exit 0', async () => {
      const proxy = await unlistable(a);
      try {
        const r = await verify([...cosmosSide('left', { endpoint: proxy.endpoint, key: a.key }), ...mongoSide('right', mongo.uri), '--collections', 'threads']);
        expect(r.code, r.stderr).to.equal(0);
        threadsAbsent(r.summary);
      } finally {
        await proxy.stop();
      }
    });
  });
});
