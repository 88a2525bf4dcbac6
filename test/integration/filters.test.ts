import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { exportData } from '../../src/api/run.js';
import type { Doc } from '../../src/core/documents.js';
import type { Layout } from '../../src/core/layout.js';
import type { Manifest } from '../../src/core/manifest.js';
import { runCli } from '../support/cli.js';
import { readAllCosmos, seedCosmos, startCosmosTestServer, type CosmosTestServer } from '../support/cosmos.js';
import { startMongoTestServer, type MongoTestServer } from '../support/ferretdb.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const pk = { paths: ['/id'] };

/** Six messages and four threads, half of each in archive a1. */
function messages(): Doc[] {
  return Array.from({ length: 6 }, (_, i) => ({ id: `m${i}`, archive_id: i % 2 === 0 ? 'a1' : 'a2', n: i }));
}
function threads(): Doc[] {
  return Array.from({ length: 4 }, (_, i) => ({ id: `t${i}`, archive_id: i < 2 ? 'a1' : 'a2', n: i }));
}
const mongoDocs = (docs: Doc[]): Doc[] => docs.map(({ id, ...rest }) => ({ _id: id, ...rest }) as Doc);

async function lines(path: string): Promise<Doc[]> {
  return (await readFile(path, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Doc);
}

describe('filters: --query, --query-file and a layout filter on export, import, migrate and verify', function () {
  this.timeout(180_000);
  let cosmosA: CosmosTestServer;
  let cosmosB: CosmosTestServer;
  let mongo: MongoTestServer;
  let work: string;
  let n = 0;

  before(async function () {
    this.timeout(600_000);
    [cosmosA, cosmosB, mongo] = await Promise.all([startCosmosTestServer(), startCosmosTestServer(), startMongoTestServer()]);
    work = await tempDir('docferry-filters-');
  });

  after(async () => {
    await Promise.all([cosmosA?.stop(), cosmosB?.stop(), mongo?.stop()]);
    await removeTempDirs();
  });

  const cosmos = (s: CosmosTestServer, prefix = '') => [`--${prefix}cosmos-endpoint`, s.endpoint, `--${prefix}cosmos-key`, s.key];

  async function layoutFile(db: string, extra: Partial<Record<'messages' | 'threads', object>> = {}): Promise<string> {
    const layout: Layout = { databases: [{ name: db, containers: [{ name: 'messages', partitionKey: pk, ...extra.messages }, { name: 'threads', partitionKey: pk, ...extra.threads }] }] };
    const path = join(work, `layout-${++n}.json`);
    await writeFile(path, JSON.stringify(layout));
    return path;
  }

  async function seedMongo(db: string): Promise<void> {
    const client = new MongoClient(mongo.uri);
    try {
      await client.db(db).collection<Doc>('messages').insertMany(mongoDocs(messages()));
      await client.db(db).collection<Doc>('threads').insertMany(mongoDocs(threads()));
    } finally {
      await client.close();
    }
  }

  async function seedCosmosBoth(server: CosmosTestServer, db: string): Promise<void> {
    await seedCosmos(server, db, 'messages', messages());
    await seedCosmos(server, db, 'threads', threads());
  }

  describe('a MongoDB source', () => {
    const db = 'filt_mongo';
    let layout: string;
    let dir: string;
    let exported: { code: number; stdout: string; stderr: string };

    before(async () => {
      await seedMongo(db);
      layout = await layoutFile(db);
      dir = join(work, 'mongo-subset');
      exported = await runCli(['export', '--source-type', 'mongodb', '--mongo-uri', mongo.uri, '--layout', layout, '--output-dir', dir, '--query', '{"archive_id": "a1"}', '--json']);
    });

    it('exports only the matching documents of every collection (the --query applies to all)', async () => {
      expect(exported.code, exported.stderr).to.equal(0);
      expect((await lines(join(dir, db, 'messages.json'))).map((d) => d._id)).to.deep.equal(['m0', 'm2', 'm4']);
      expect((await lines(join(dir, db, 'threads.json'))).map((d) => d._id)).to.deep.equal(['t0', 't1']);
      expect(JSON.parse(exported.stdout).totals.read).to.equal(5);
    });

    it('records the filter per collection in the manifest and marks the export a subset, as the --json summary does', async () => {
      const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
      const filter = [{ query: '{"archive_id": "a1"}', from: '--query' }];
      expect(manifest.subset).to.equal(true);
      expect(manifest.filters).to.deep.equal({ [`${db}.messages`]: filter, [`${db}.threads`]: filter });
      expect(manifest.format_version).to.equal(1);
      expect(JSON.parse(exported.stdout).subset).to.deep.equal(manifest.filters);
    });

    it('verify of the subset export against its live source applies the same filter there (equal), and a full export is not equal to it', async () => {
      const v = await runCli(['verify', '--left-type', 'dir', '--left-dir', dir, '--right-type', 'mongodb', '--right-mongo-uri', mongo.uri, '--layout', layout, '--json']);
      expect(v.code, v.stdout + v.stderr).to.equal(0);
      const summary = JSON.parse(v.stdout);
      expect(summary.collections.map((c: { rightCount: number }) => c.rightCount)).to.deep.equal([3, 2]);
      expect(summary.subset[`${db}.messages`]).to.deep.equal([{ query: '{"archive_id": "a1"}', from: '--query' }]);
      // Without the filter on the live side the other archive's documents would be extra: prove the comparison can fail.
      const full = join(work, 'mongo-full');
      expect((await runCli(['export', '--source-type', 'mongodb', '--mongo-uri', mongo.uri, '--layout', layout, '--output-dir', full])).code).to.equal(0);
      const dirs = await runCli(['verify', '--left-type', 'dir', '--left-dir', full, '--right-type', 'dir', '--right-dir', dir, '--layout', layout]);
      expect(dirs.code).to.equal(5);
    });

    it('verify refuses --query against an export directory, whose own filters apply', async () => {
      const v = await runCli(['verify', '--left-type', 'dir', '--left-dir', dir, '--right-type', 'mongodb', '--right-mongo-uri', mongo.uri, '--layout', layout, '--query', '{"n": 1}']);
      expect(v.code).to.equal(2);
      expect(v.stderr).to.include('--query compares two databases');
    });

    it('import says it is a subset (stderr, --json warnings and summary), and refuses --mode mirror before writing', async () => {
      const imp = await runCli(['import', '--dest-type', 'cosmos', ...cosmos(cosmosB), '--layout', layout, '--export-dir', dir, '--json']);
      expect(imp.code, imp.stderr).to.equal(0);
      expect(imp.stderr).to.include('is a subset export, not a full backup');
      const summary = JSON.parse(imp.stdout);
      expect(summary.warnings.some((w: string) => w.includes('is a subset export') && w.includes(`${db}.messages`))).to.equal(true);
      expect(summary.subset[`${db}.threads`]).to.deep.equal([{ query: '{"archive_id": "a1"}', from: '--query' }]);
      expect((await readAllCosmos(cosmosB, db, 'messages')).map((d) => d.id)).to.deep.equal(['m0', 'm2', 'm4']);

      const mirrorDb = `${db}_mirror`;
      const mirrorLayout = await layoutFile(mirrorDb);
      await seedCosmosBoth(cosmosB, mirrorDb);
      const mirrorDir = join(work, 'mongo-subset-mirror');
      const client = new MongoClient(mongo.uri);
      try {
        await client.db(mirrorDb).collection<Doc>('messages').insertMany(mongoDocs(messages()));
        await client.db(mirrorDb).collection<Doc>('threads').insertMany(mongoDocs(threads()));
      } finally {
        await client.close();
      }
      expect((await runCli(['export', '--source-type', 'mongodb', '--mongo-uri', mongo.uri, '--layout', mirrorLayout, '--output-dir', mirrorDir, '--query', '{"archive_id": "a1"}'])).code).to.equal(0);
      const mirror = await runCli(['import', '--dest-type', 'cosmos', ...cosmos(cosmosB), '--layout', mirrorLayout, '--export-dir', mirrorDir, '--mode', 'mirror']);
      expect(mirror.code).to.equal(2);
      expect(mirror.stderr).to.include('--mode mirror').and.include('subset export').and.include(`${mirrorDb}.messages`);
      expect(await readAllCosmos(cosmosB, mirrorDb, 'messages'), 'nothing was deleted').to.have.length(6);
    });

    it('verify of a MongoDB and a Cosmos DB side through one --query: the left is filtered, the right read whole, its extras ignored', async () => {
      // cosmosB holds what the import of the a1 subset wrote.
      const v = await runCli(['verify', '--left-type', 'mongodb', '--left-mongo-uri', mongo.uri, '--right-type', 'cosmos', ...cosmos(cosmosB, 'right-'), '--layout', layout, '--query', '{"archive_id": "a1"}', '--json']);
      expect(v.code, v.stdout + v.stderr).to.equal(0);
      expect(v.stderr).to.include('the filters apply to the left side only');
      const summary = JSON.parse(v.stdout);
      expect(summary.ignoreExtra).to.equal(true);
      expect(summary.collections.map((c: { leftCount: number }) => c.leftCount)).to.deep.equal([3, 2]);
      const other = await runCli(['verify', '--left-type', 'mongodb', '--left-mongo-uri', mongo.uri, '--right-type', 'cosmos', ...cosmos(cosmosB, 'right-'), '--layout', layout, '--query', '{"archive_id": "a2"}']);
      expect(other.code, 'the a2 documents are missing on the right').to.equal(5);
    });

    it('a filter the server refuses is an error before anything is written, naming the collection and the flag; --query-file and a layout filter alike', async () => {
      const bad = join(work, 'mongo-bad');
      const r = await runCli(['export', '--source-type', 'mongodb', '--mongo-uri', mongo.uri, '--layout', layout, '--output-dir', bad, '--query', '{"n": {"$nosuchop": 1}}']);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.include(`${db}.messages`).and.include('from --query').and.include('refuses the filter');
      expect(existsSync(bad), 'no output directory').to.equal(false);

      const file = join(work, 'bad-filter.json');
      await writeFile(file, '{"n": ');
      const f = await runCli(['export', '--source-type', 'mongodb', '--mongo-uri', mongo.uri, '--layout', layout, '--output-dir', bad, '--query-file', file]);
      expect(f.code).to.equal(2);
      expect(f.stderr).to.include(`from --query-file ${file}`).and.include('not Extended JSON');

      const badLayout = await layoutFile(db, { threads: { filter: { n: { $nosuchop: 1 } } } });
      const l = await runCli(['export', '--source-type', 'mongodb', '--mongo-uri', mongo.uri, '--layout', badLayout, '--output-dir', bad]);
      expect(l.code).to.equal(2);
      expect(l.stderr).to.include(`${db}.threads`).and.include(`from layout ${badLayout}`);
      expect(existsSync(bad)).to.equal(false);
    });

    it('migrate MongoDB -> Cosmos DB with --query-file and a layout filter: a document must match both', async () => {
      const file = join(work, 'a1.json');
      await writeFile(file, '{"archive_id": "a1"}\n');
      const both = await layoutFile(db, { messages: { filter: '{"n": {"$gte": 2}}' } });
      const r = await runCli(['migrate', '--from', 'mongodb', '--to', 'cosmos', '--from-mongo-uri', mongo.uri, ...cosmos(cosmosA, 'to-'), '--layout', both, '--query-file', file, '--json', '--checkpoint', join(work, `cp-${++n}`), '--rejects-dir', join(work, 'rj'), '--verify']);
      expect(r.code, r.stderr).to.equal(0);
      expect(JSON.parse(r.stdout).verify.equal).to.equal(true);
      expect((await readAllCosmos(cosmosA, db, 'messages')).map((d) => d.id)).to.deep.equal(['m2', 'm4']);
      expect((await readAllCosmos(cosmosA, db, 'threads')).map((d) => d.id)).to.deep.equal(['t0', 't1']);
      expect(JSON.parse(r.stdout).subset[`${db}.messages`]).to.deep.equal([
        { query: '{"archive_id": "a1"}', from: `--query-file ${file}` },
        { query: '{"n": {"$gte": 2}}', from: `layout ${both}` },
      ]);
    });
  });

  describe('a Cosmos DB source', () => {
    const db = 'filt_cosmos';
    let layout: string;

    before(async () => {
      await seedCosmosBoth(cosmosA, db);
      layout = await layoutFile(db, { messages: { filter: 'c.n >= 2' } });
    });

    it('exports a WHERE clause, combined with the layout filter of one container, and records both', async () => {
      const dir = join(work, 'cosmos-subset');
      const r = await runCli(['export', '--source-type', 'cosmos', ...cosmos(cosmosA), '--layout', layout, '--output-dir', dir, '--query', "c.archive_id = 'a1'", '--json']);
      expect(r.code, r.stderr).to.equal(0);
      expect((await lines(join(dir, db, 'messages.json'))).map((d) => d.id).sort()).to.deep.equal(['m2', 'm4']);
      expect((await lines(join(dir, db, 'threads.json'))).map((d) => d.id).sort()).to.deep.equal(['t0', 't1']);
      const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
      expect(manifest.subset).to.equal(true);
      expect(manifest.filters![`${db}.messages`]).to.deep.equal([
        { query: "c.archive_id = 'a1'", from: '--query' },
        { query: 'c.n >= 2', from: `layout ${layout}` },
      ]);
      expect(manifest.document_counts).to.deep.equal({ [`${db}.messages`]: 2, [`${db}.threads`]: 2 });
      // export --verify compares with the source through the same filters.
      const again = join(work, 'cosmos-subset-verified');
      const v = await runCli(['export', '--source-type', 'cosmos', ...cosmos(cosmosA), '--layout', layout, '--output-dir', again, '--query', "SELECT * FROM c WHERE c.archive_id = 'a1'", '--verify']);
      expect(v.code, v.stderr).to.equal(0);
    });

    it('refuses a projection, and SQL the service refuses, before anything is written', async () => {
      const dir = join(work, 'cosmos-bad');
      const p = await runCli(['export', '--source-type', 'cosmos', ...cosmos(cosmosA), '--layout', layout, '--output-dir', dir, '--query', 'SELECT c.id FROM c']);
      expect(p.code).to.equal(2);
      expect(p.stderr).to.include('must select whole documents').and.include('from --query');
      const s = await runCli(['export', '--source-type', 'cosmos', ...cosmos(cosmosA), '--layout', layout, '--output-dir', dir, '--query', 'c.n = ']);
      expect(s.code).to.equal(2);
      expect(s.stderr).to.include('Cosmos DB refuses the filter of').and.include(`${db}.messages`).and.include('from --query');
      expect(existsSync(dir)).to.equal(false);
    });

    it('migrate Cosmos DB -> Cosmos DB with --query, then verify: equal through --query, different without it', async () => {
      const r = await runCli(['migrate', '--from', 'cosmos', '--to', 'cosmos', ...cosmos(cosmosA, 'from-'), ...cosmos(cosmosB, 'to-'), '--layout', layout, '--query', "c.archive_id = 'a2'", '--json', '--checkpoint', join(work, `cp-${++n}`), '--verify']);
      expect(r.code, r.stderr).to.equal(0);
      expect((await readAllCosmos(cosmosB, db, 'messages')).map((d) => d.id)).to.deep.equal(['m3', 'm5']);
      expect((await readAllCosmos(cosmosB, db, 'threads')).map((d) => d.id)).to.deep.equal(['t2', 't3']);
      expect(JSON.parse(r.stdout).verify.equal).to.equal(true);
      const verify = (extra: string[]) => runCli(['verify', '--left-type', 'cosmos', ...cosmos(cosmosA, 'left-'), '--right-type', 'cosmos', ...cosmos(cosmosB, 'right-'), '--layout', layout, ...extra]);
      expect((await verify(['--query', "c.archive_id = 'a2'"])).code).to.equal(0);
      expect((await verify([])).code, 'the layout filter alone leaves archive a1 missing on the right').to.equal(5);
    });

    it('migrate --mode mirror with a filter is refused: it would delete everything outside the filter', async () => {
      const r = await runCli(['migrate', '--from', 'cosmos', '--to', 'cosmos', ...cosmos(cosmosA, 'from-'), ...cosmos(cosmosB, 'to-'), '--layout', layout, '--mode', 'mirror', '--checkpoint', join(work, `cp-${++n}`)]);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.include('--mode mirror').and.include(`${db}.messages`);
    });
  });

  for (const kind of ['mongodb', 'cosmos'] as const) {
    it(`${kind}: a resume with a different filter is refused; with the same one it finishes, every matching document once`, async () => {
      const db = `filt_resume_${kind}`;
      // Large enough (and, on Cosmos DB, in pages small enough) that the export is still reading when the first progress event (after 250 ms) aborts it, on an idle machine too.
      const total = kind === 'mongodb' ? 30_000 : 3000;
      const docs = Array.from({ length: total }, (_, i) => ({ id: `d${String(i).padStart(5, '0')}`, keep: i % 3 !== 0, pad: 'p'.repeat(200) }));
      if (kind === 'mongodb') {
        const client = new MongoClient(mongo.uri);
        try {
          await client.db(db).collection<Doc>('big').insertMany(mongoDocs(docs));
        } finally {
          await client.close();
        }
      } else {
        await seedCosmos(cosmosA, db, 'big', docs);
      }
      const layout: Layout = { databases: [{ name: db, containers: [{ name: 'big', partitionKey: pk }] }] };
      const layoutPath = join(work, `resume-layout-${kind}.json`);
      await writeFile(layoutPath, JSON.stringify(layout));
      const outputDir = join(work, `export-resume-${kind}`);
      const [keep, drop] = kind === 'mongodb' ? ['{"keep": true}', '{"keep": false}'] : ['c.keep = true', 'c.keep = false'];
      const connection = kind === 'mongodb' ? { sourceType: 'mongodb' as const, mongoUri: mongo.uri } : { sourceType: 'cosmos' as const, cosmosEndpoint: cosmosA.endpoint, cosmosKey: cosmosA.key };
      const ac = new AbortController();
      let aborted = false;
      await exportData({
        ...connection,
        layout,
        outputDir,
        batchSize: 50,
        concurrency: 1,
        ...(kind === 'cosmos' ? { pageSize: 50 } : {}),
        query: keep,
        signal: ac.signal,
        onEvent: (e) => {
          if (e.type === 'progress' && e.written > 0 && !aborted) {
            aborted = true;
            ac.abort();
          }
        },
      }).catch(() => undefined);
      expect(aborted, 'the export ended before a progress event: make it larger').to.equal(true);
      expect(existsSync(join(outputDir, '_checkpoint'))).to.equal(true);

      const source = kind === 'mongodb' ? ['--source-type', 'mongodb', '--mongo-uri', mongo.uri] : ['--source-type', 'cosmos', ...cosmos(cosmosA)];
      const args = ['export', ...source, '--layout', layoutPath, '--output-dir', outputDir, '--resume', '--json'];
      const changed = await runCli([...args, '--query', drop]);
      expect(changed.code).to.equal(4);
      expect(changed.stderr).to.include('Cannot resume').and.include('filters changed');
      const none = await runCli(args);
      expect(none.code, 'leaving the filter out changes it too').to.equal(4);

      const same = await runCli([...args, '--query', keep]);
      expect(same.code, same.stderr).to.equal(0);
      expect(JSON.parse(same.stdout).collections[0].resumed).to.be.greaterThan(0);
      const ids = (await lines(join(outputDir, db, 'big.json'))).map((d) => String(d._id ?? d.id));
      expect(ids.length).to.equal(total - total / 3);
      expect(new Set(ids).size, 'every document exactly once').to.equal(ids.length);
      expect(ids.every((id) => Number(id.slice(1)) % 3 !== 0)).to.equal(true);
      const manifest = JSON.parse(await readFile(join(outputDir, 'manifest.json'), 'utf8')) as Manifest;
      expect(manifest.filters).to.deep.equal({ [`${db}.big`]: [{ query: keep, from: '--query' }] });
    });
  }
});
