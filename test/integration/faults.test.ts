import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import type { AccessToken, TokenCredential } from '@azure/identity';
import type { Manifest } from '../../src/core/manifest.js';
import { runImport } from '../../src/engine/import.js';
import { runVerify, type VerifyEndpoint } from '../../src/engine/verify.js';
import { generateDocuments } from '../../src/synthetic/copilot.js';
import { runCli } from '../support/cli.js';
import { seedCosmos, startCosmosTestServer, testLayout, type CosmosTestServer } from '../support/cosmos.js';
import { startFaultProxy, throttled, type FaultAction } from '../support/fault-proxy.js';
import { startMongoTestServer, type MongoTestServer } from '../support/ferretdb.js';
import { startTcpFaultProxy } from '../support/tcp-fault-proxy.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const COUNTS = { archives: 40, threads: 160, chunks: 120 };

describe('faults survived: after each, verify finds source and target identical', function () {
  this.timeout(180_000);
  let source: CosmosTestServer;
  let work: string;
  let layoutFile: string;
  let exportDir: string;
  let db: string;
  const layoutRef = () => ({ layout: testLayout(source), source: 'test' });

  async function expectIdentical(right: VerifyEndpoint, collections?: string[]): Promise<void> {
    const v = await runVerify({ left: { type: 'dir', path: exportDir }, right, layout: layoutRef(), ...(collections ? { collections } : {}) });
    expect(v.equal, JSON.stringify(v.collections.filter((c) => !c.equal))).to.equal(true);
  }

  before(async () => {
    source = await startCosmosTestServer();
    db = `copilot${source.suffix}`;
    for (const [c, n] of Object.entries(COUNTS)) await seedCosmos(source, db, c, generateDocuments(c as keyof typeof COUNTS, n, { seed: 9 }));
    work = await tempDir();
    layoutFile = join(work, 'layout.json');
    await writeFile(layoutFile, JSON.stringify(testLayout(source)));
    exportDir = join(work, 'export');
    const r = await runCli(['export', '--source-type', 'cosmos', '--cosmos-endpoint', source.endpoint, '--cosmos-key', source.key, '--layout', layoutFile, '--output-dir', exportDir, '--collections', Object.keys(COUNTS).join(',')]);
    expect(r.code, r.stderr).to.equal(0);
  });

  after(async () => {
    await source.stop();
    await removeTempDirs();
  });

  describe('Cosmos DB target behind a fault-injecting proxy', () => {
    let target: CosmosTestServer;
    beforeEach(async () => {
      target = await startCosmosTestServer();
    });
    afterEach(async () => {
      await target.stop();
    });

    async function importThrough(policy: (seq: number) => FaultAction, extra: string[] = []): Promise<{ code: number; stderr: string; injected: Map<number, number> }> {
      const proxy = await startFaultProxy(target.endpoint);
      let batches = 0;
      proxy.setPolicy((req) => (req.isBatch ? policy(++batches) : { type: 'pass' }));
      try {
        const r = await runCli(['import', '--dest-type', 'cosmos', '--cosmos-endpoint', proxy.endpoint, '--cosmos-key', target.key, '--layout', layoutFile, '--export-dir', exportDir, '--batch-size', '20', '--verify', ...extra]);
        return { code: r.code, stderr: r.stderr + r.stdout, injected: proxy.injected };
      } finally {
        await proxy.stop();
      }
    }

    it('a 429 storm with retry-after: four bulk requests in ten throttled for the whole import', async () => {
      const r = await importThrough((seq) => (seq % 10 < 4 ? throttled(40) : { type: 'pass' }));
      expect(r.code, r.stderr).to.equal(0);
      expect(r.injected.get(429)).to.be.greaterThan(10);
      expect(r.stderr).to.include('verify: identical (3 collections)');
      await expectIdentical({ type: 'cosmos', connection: { endpoint: target.endpoint, key: target.key } });
    });

    it('408, 449 and 503 answers, and connections reset before and after the server wrote the batch', async () => {
      const cycle: FaultAction[] = [
        { type: 'respond', status: 408, body: JSON.stringify({ code: 'RequestTimeout', message: 'injected 408' }) },
        { type: 'respond', status: 449, body: JSON.stringify({ code: 'RetryWith', message: 'injected 449' }) },
        { type: 'respond', status: 503, body: JSON.stringify({ code: 'ServiceUnavailable', message: 'injected 503' }) },
        { type: 'reset' },
        { type: 'reset-after' },
      ];
      const r = await importThrough((seq) => (seq % 2 === 1 && seq < 60 ? cycle[((seq - 1) / 2) % cycle.length]! : { type: 'pass' }));
      expect(r.code, r.stderr).to.equal(0);
      for (const status of [408, 449, 503, 0, -1]) expect(r.injected.get(status), `injected ${status}`).to.be.greaterThan(0);
      expect(r.stderr).to.include('verify: identical (3 collections)');
    });

    it('responses slower than the request timeout are abandoned and retried', async () => {
      const proxy = await startFaultProxy(target.endpoint);
      let batches = 0;
      proxy.setPolicy((req) => (req.isBatch && ++batches <= 3 ? { type: 'delay', ms: 1_500 } : { type: 'pass' }));
      try {
        const summary = await runImport({
          exportDir,
          target: { type: 'cosmos', connection: { endpoint: proxy.endpoint, key: target.key, requestTimeoutMs: 400 } },
          layout: layoutRef(),
          mode: 'upsert',
          collections: ['threads'],
          batchSize: 20,
          verify: true,
        });
        expect(batches, 'the slow batches were sent again').to.be.greaterThan(3 + COUNTS.threads / 20 - 1);
        expect(summary.exitCode, JSON.stringify(summary.collections)).to.equal(0);
        expect(summary.verify?.equal).to.equal(true);
      } finally {
        await proxy.stop();
      }
    });

    it('answers 401 as an authentication problem with advice, not a crash', async () => {
      const r = await importThrough(() => ({ type: 'respond', status: 401, body: JSON.stringify({ code: 'Unauthorized', message: 'The input authorization token can\'t serve the request.' }) }));
      expect(r.code).to.equal(1);
      expect(r.stderr).to.include('refused the credentials');
      expect(r.stderr).to.include('Check the account key');
      expect(r.stderr).to.not.match(/at .*\.ts:\d+/);
      expect(r.stderr).to.not.include(target.key);
    });
  });

  it('Entra ID tokens that expire every 1.5 s during a long import are refreshed, and every document lands', async () => {
    const tls = await startCosmosTestServer({ tls: true });
    // A byte-level proxy slows the TLS stream so the import outlives several tokens.
    const port = Number(new URL(tls.endpoint).port);
    const slow = await startTcpFaultProxy({ host: '127.0.0.1', port }, { wire: false });
    slow.setDelay(15);
    const issued: AccessToken[] = [];
    const credential: TokenCredential = {
      getToken: async (): Promise<AccessToken> => {
        const token = { token: `short-lived-${issued.length}`, expiresOnTimestamp: Date.now() + 1_500 };
        issued.push(token);
        return token;
      },
    };
    try {
      // Data-plane tokens cannot create containers: provision them first, as a pipeline would.
      await seedCosmos(tls, db, 'threads', []);
      const started = Date.now();
      const summary = await runImport({
        exportDir,
        target: { type: 'cosmos', connection: { endpoint: `https://127.0.0.1:${slow.port}/`, credential, ...(tls.ca ? { caCertificate: tls.ca } : {}) } },
        layout: layoutRef(),
        mode: 'upsert',
        collections: ['threads'],
        batchSize: 4,
        concurrency: 1,
      });
      const took = Date.now() - started;
      expect(summary.exitCode, JSON.stringify(summary.collections)).to.equal(0);
      expect(took, 'the import outlived several tokens').to.be.greaterThan(3_000);
      expect(issued.length, 'tokens were refreshed').to.be.at.least(Math.floor(took / 1_500));
      expect(new Set(issued.map((t) => t.token)).size).to.equal(issued.length);
      await expectIdentical({ type: 'cosmos', connection: { endpoint: tls.endpoint, key: tls.key, ...(tls.ca ? { caCertificate: tls.ca } : {}) } }, ['threads']);
    } finally {
      await slow.stop();
      await tls.stop();
    }
  });

  describe('MongoDB target behind a wire-protocol fault proxy', () => {
    let mongo: MongoTestServer;
    before(async () => {
      mongo = await startMongoTestServer();
    });
    after(async () => {
      await mongo.stop();
    });

    it('connections dropped mid-batch (before and after the server wrote it) and retryable write errors', async () => {
      const upstream = new URL(mongo.uri);
      const proxy = await startTcpFaultProxy({ host: upstream.hostname, port: Number(upstream.port) });
      let writes = 0;
      proxy.setPolicy((command) => {
        if (command !== 'insert' && command !== 'update') return 'pass';
        writes++;
        if (writes > 40) return 'pass';
        if (writes % 4 === 1) return 'drop-reply';
        if (writes % 4 === 2) return { error: { code: 11600, codeName: 'InterruptedAtShutdown', labels: ['RetryableWriteError'] } };
        if (writes % 4 === 3) return 'cut';
        return 'pass';
      });
      const dbName = `faults${Date.now()}`;
      const proxied = `mongodb://${proxy.host}:${proxy.port}/?directConnection=true&serverSelectionTimeoutMS=5000`;
      try {
        const layout = testLayout(source);
        const renamed = { ...layout, databases: layout.databases.map((d) => (d.name === db ? { ...d, name: dbName } : d)) };
        const dir = join(work, 'export-for-mongo');
        await rm(dir, { recursive: true, force: true });
        // The same export under the test's own database name, so reruns never collide.
        const manifest = JSON.parse(await readFile(join(exportDir, 'manifest.json'), 'utf8')) as Manifest;
        await mkdir(join(dir, dbName), { recursive: true });
        for (const f of manifest.files) await writeFile(join(dir, dbName, `${f.collection}.json`), await readFile(join(exportDir, f.path)));
        const files = manifest.files.map((f) => ({ ...f, database: dbName, path: `${dbName}/${f.collection}.json` }));
        await writeFile(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, databases: { [dbName]: manifest.databases[db] }, document_counts: Object.fromEntries(files.map((f) => [`${dbName}.${f.collection}`, f.documents])), files }));
        const summary = await runImport({ exportDir: dir, target: { type: 'mongodb', uri: proxied }, layout: { layout: renamed, source: 'test' }, mode: 'upsert', batchSize: 10 });
        expect(summary.exitCode, JSON.stringify(summary.collections)).to.equal(0);
        expect(proxy.injected.get('drop-reply')).to.be.greaterThan(0);
        expect(proxy.injected.get('error:insert') ?? proxy.injected.get('error:update')).to.be.greaterThan(0);
        expect((proxy.injected.get('cut:insert') ?? 0) + (proxy.injected.get('cut:update') ?? 0)).to.be.greaterThan(0);
        const v = await runVerify({ left: { type: 'dir', path: dir }, right: { type: 'mongodb', uri: mongo.uri }, layout: { layout: renamed, source: 'test' } });
        expect(v.equal, JSON.stringify(v.collections.filter((c) => !c.equal))).to.equal(true);
        expect(Object.fromEntries(v.collections.map((c) => [c.collection, c.rightCount]))).to.deep.equal(COUNTS);
      } finally {
        await proxy.stop();
      }
    });
  });

  describe('the disk filling up during an export', () => {
    let mountPoint: string;
    let mounted = false;
    before(async () => {
      mountPoint = join(await tempDir('docferry-tmpfs-'), 'disk');
      await mkdir(mountPoint);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mountPoint]);
      mounted = true;
    });
    after(() => {
      if (mounted) execFileSync('umount', [mountPoint]);
    });

    it('fails cleanly with no complete-looking manifest, and --resume finishes once space is back', async () => {
      const dir = join(mountPoint, 'export');
      const args = ['export', '--source-type', 'cosmos', '--cosmos-endpoint', source.endpoint, '--cosmos-key', source.key, '--layout', layoutFile, '--output-dir', dir, '--collections', Object.keys(COUNTS).join(','), '--page-size', '20', '--batch-size', '20'];
      const full = await runCli(args);
      expect(full.code).to.equal(1);
      expect(full.stderr).to.include('ENOSPC');
      expect(full.stderr).to.include('re-run the same export with --resume');
      expect(full.stderr).to.not.match(/\n\s+at /);
      const manifest = existsSync(join(dir, 'manifest.json')) ? (JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest) : undefined;
      expect(manifest?.status ?? 'absent').to.not.equal('complete');
      const refused = await runCli(['import', '--dest-type', 'cosmos', '--cosmos-endpoint', source.endpoint, '--cosmos-key', source.key, '--layout', layoutFile, '--export-dir', dir]);
      expect(refused.code).to.equal(4);

      execFileSync('mount', ['-o', 'remount,size=16m', mountPoint]);
      const resumed = await runCli([...args, '--resume', '--verify']);
      expect(resumed.code, resumed.stderr).to.equal(0);
      expect(resumed.stdout).to.include('verify: identical (3 collections)');
      const done = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
      expect(done.status).to.equal('complete');
      expect(done.files.map((f) => f.documents).sort((a, b) => a - b)).to.deep.equal(Object.values(COUNTS).sort((a, b) => a - b));
    });
  });
});
