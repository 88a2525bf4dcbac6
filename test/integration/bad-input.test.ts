import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Manifest } from '../../src/core/manifest.js';
import { generateDocuments } from '../../src/synthetic/copilot.js';
import { runCli } from '../support/cli.js';
import { readAllCosmos, seedCosmos, startCosmosTestServer, testLayout, type CosmosTestServer } from '../support/cosmos.js';
import { startMongoTestServer, type MongoTestServer } from '../support/ferretdb.js';
import { latestRunRejectsDir } from '../support/rejects.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

/**
 * Bad input not covered in cosmos-export-import.test.ts (changed byte, truncated file, malformed
 * line, array line, '/' and over-long ids, 2 MB documents, missing partition key, unknown
 * collection on export): each refused or rejected with what, where and what to do.
 */
describe('bad input is refused or rejected with a specific message', function () {
  this.timeout(120_000);
  let target: CosmosTestServer;
  let work: string;
  let layoutFile: string;
  let goodExport: string;
  let db: string;

  function importArgs(dir: string, extra: string[] = []): string[] {
    return ['import', '--dest-type', 'cosmos', '--cosmos-endpoint', target.endpoint, '--cosmos-key', target.key, '--layout', layoutFile, '--export-dir', dir, ...extra];
  }

  /** An export the original scripts could have written: lines as given, counts in a legacy manifest. */
  async function handExport(name: string, collection: string, lines: (string | Buffer)[]): Promise<string> {
    const dir = join(work, name);
    await mkdir(join(dir, db), { recursive: true });
    await writeFile(join(dir, db, `${collection}.json`), Buffer.concat(lines.flatMap((l) => [Buffer.isBuffer(l) ? l : Buffer.from(l), Buffer.from('\n')])));
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ exported_at: '2026-02-12T17:00:00Z', source_type: 'cosmos', databases: { [db]: [collection] }, document_counts: { [`${db}.${collection}`]: lines.length } }));
    return dir;
  }

  async function rejects(dir: string, collection: string): Promise<{ line: number; reason: string; id?: string }[]> {
    return (await readFile(join(await latestRunRejectsDir(join(dir, '_rejects')), `${db}.${collection}.ndjson`), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  }

  before(async () => {
    target = await startCosmosTestServer();
    db = `copilot${target.suffix}`;
    work = await tempDir();
    layoutFile = join(work, 'layout.json');
    await writeFile(layoutFile, JSON.stringify(testLayout(target)));
    const source = await startCosmosTestServer();
    try {
      await seedCosmos(source, db, 'sources', generateDocuments('sources', 5, { seed: 1 }));
      goodExport = join(work, 'good');
      const r = await runCli(['export', '--source-type', 'cosmos', '--cosmos-endpoint', source.endpoint, '--cosmos-key', source.key, '--layout', layoutFile, '--output-dir', goodExport, '--collections', 'sources']);
      expect(r.code, r.stderr).to.equal(0);
    } finally {
      await source.stop();
    }
  });

  after(async () => {
    await target.stop();
    await removeTempDirs();
  });

  it('an export directory that does not exist', async () => {
    const r = await runCli(importArgs(join(work, 'no-such-dir')));
    expect(r.code).to.equal(4);
    expect(r.stderr).to.include('no-such-dir does not exist. Pass the directory an export wrote (the one holding manifest.json) with --export-dir');
  });

  it('an export directory without its manifest', async () => {
    const dir = join(work, 'no-manifest');
    await mkdir(join(dir, db), { recursive: true });
    await writeFile(join(dir, db, 'sources.json'), '{"id":"a"}\n');
    const r = await runCli(importArgs(dir));
    expect(r.code).to.equal(4);
    expect(r.stderr).to.include('manifest.json is missing');
    expect(r.stderr).to.include('not a finished export');
  });

  it('a manifest of a newer format version', async () => {
    const { cp } = await import('node:fs/promises');
    const dir = join(work, 'future');
    await cp(goodExport, dir, { recursive: true });
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    await writeFile(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, format_version: 99 }));
    const r = await runCli(importArgs(dir));
    expect(r.code).to.equal(4);
    expect(r.stderr).to.include('has format version 99, newer than this docferry understands (1). Upgrade docferry to import it.');
  });

  it('a line that is not valid UTF-8 is rejected with its line number; the others import', async () => {
    const dir = await handExport('bad-utf8', 'sources', ['{"id":"u1"}', Buffer.from([0x7b, 0x22, 0x69, 0x64, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), '{"id":"u3"}']);
    const r = await runCli(importArgs(dir, ['--json']));
    expect(r.code).to.equal(3);
    expect(r.stderr).to.match(/sources\.json, line 2\): the line is not valid UTF-8/);
    expect((await rejects(dir, 'sources')).map((e) => e.line)).to.deep.equal([2]);
    expect((await readAllCosmos(target, db, 'sources')).map((d) => d.id)).to.include.members(['u1', 'u3']);
  });

  it('the same id twice in one file: the first is imported, the second rejected naming both lines', async () => {
    const dir = await handExport('dup', 'reports', ['{"id":"r1","v":1}', '{"id":"r2","v":1}', '{"id":"r1","v":2}']);
    const r = await runCli(importArgs(dir, ['--json']));
    expect(r.code).to.equal(3);
    const [entry] = await rejects(dir, 'reports');
    expect(entry).to.include({ line: 3, id: 'r1' });
    expect(entry!.reason).to.include('duplicate id: "r1" is also on line 1 of');
    expect(entry!.reason).to.include('only that first document is imported');
    const stored = await readAllCosmos(target, db, 'reports');
    expect(stored.find((d) => d.id === 'r1')?.v).to.equal(1);
    const verify = await runCli(['verify', '--left-type', 'dir', '--left-dir', dir, '--right-type', 'cosmos', '--right-cosmos-endpoint', target.endpoint, '--right-cosmos-key', target.key, '--layout', layoutFile, '--collections', 'reports']);
    expect(verify.code, 'verify does not hide the duplicate').to.equal(5);
    expect(verify.stdout).to.include('duplicate id');
  });

  it('ids with \\ ? or # are rejected, each with its line', async () => {
    const dir = await handExport('bad-ids', 'archives', ['{"id":"back\\\\slash"}', '{"id":"what?"}', '{"id":"hash#tag"}', '{"id":"fine"}']);
    const r = await runCli(importArgs(dir, ['--json']));
    expect(r.code).to.equal(3);
    expect((await rejects(dir, 'archives')).map((e) => [e.line, e.reason.slice(0, 16)])).to.deep.equal([
      [1, 'id contains "\\",'],
      [2, 'id contains "?",'],
      [3, 'id contains "#",'],
    ]);
    expect(JSON.parse(r.stdout).totals).to.include({ written: 1, rejected: 3 });
  });

  it('a partition-key value over 2,048 bytes', async () => {
    const layout = testLayout(target);
    layout.databases[0]!.containers.find((c) => c.name === 'summaries')!.partitionKey = { paths: ['/thread_id'] };
    const lf = join(work, 'pk-layout.json');
    await writeFile(lf, JSON.stringify(layout));
    const dir = await handExport('long-pk', 'summaries', [JSON.stringify({ id: 's1', thread_id: 't'.repeat(2049) }), JSON.stringify({ id: 's2', thread_id: 't1' })]);
    const r = await runCli(['import', '--dest-type', 'cosmos', '--cosmos-endpoint', target.endpoint, '--cosmos-key', target.key, '--layout', lf, '--export-dir', dir]);
    expect(r.code).to.equal(3);
    expect((await rejects(dir, 'summaries'))[0]!.reason).to.equal('partition-key value at /thread_id is 2049 bytes; Cosmos DB allows at most 2048');
  });

  it('a Cosmos DB container that does not exist, on export: a warning naming it, recorded as absent (as on MongoDB); --strict fails', async () => {
    const out = join(work, 'missing-container');
    const r = await runCli(['export', '--source-type', 'cosmos', '--cosmos-endpoint', target.endpoint, '--cosmos-key', target.key, '--layout', layoutFile, '--output-dir', out, '--collections', 'threads']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.include(`${db}.threads is named by the layout but does not exist`);
    expect(r.stderr).to.include('Check the database and collection names (the layout, --collections)');
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.status).to.equal('complete');
    expect(manifest.absent).to.deep.equal([{ database: db, collection: 'threads' }]);
    const strict = await runCli(['export', '--source-type', 'cosmos', '--cosmos-endpoint', target.endpoint, '--cosmos-key', target.key, '--layout', layoutFile, '--output-dir', join(work, 'missing-strict'), '--collections', 'threads', '--strict']);
    expect(strict.code).to.equal(1);
    expect(strict.stderr).to.include(`--strict: the source does not match the layout; nothing was written:\n  - ${db}.threads is named by the layout but does not exist`);
  });

  it('an unknown collection name on import', async () => {
    const r = await runCli(importArgs(goodExport, ['--collections', 'sourcse']));
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include('Unknown collection in --collections: sourcse');
    expect(r.stderr).to.include(`Available: ${db}.sources`);
  });

  it('an endpoint that is not a URL', async () => {
    const r = await runCli(['import', '--dest-type', 'cosmos', '--cosmos-endpoint', 'myaccount.documents.azure.com', '--cosmos-key', target.key, '--layout', layoutFile, '--export-dir', goodExport]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include('"myaccount.documents.azure.com" is not a URL; expected something like https://<account>.documents.azure.com:443/');
  });

  describe('MongoDB target', () => {
    let mongo: MongoTestServer;
    before(async () => {
      mongo = await startMongoTestServer();
    });
    after(async () => {
      await mongo.stop();
    });

    it('field names MongoDB/FerretDB cannot store (a "." or a leading "$") are rejected per document', async () => {
      const dir = await handExport('bad-fields', 'reports', ['{"id":"ok1","a":1}', '{"id":"dotted","a.b":1}', '{"id":"dollar","$where":"x"}', '{"id":"ok2","nested":{"fine":true}}']);
      const r = await runCli(['import', '--dest-type', 'mongodb', '--mongo-uri', mongo.uri, '--layout', layoutFile, '--export-dir', dir, '--json']);
      expect(r.code, r.stderr).to.equal(3);
      const entries = await rejects(dir, 'reports');
      expect(entries.map((e) => e.line).sort()).to.deep.equal([2, 3]);
      expect(entries.find((e) => e.line === 2)!.reason).to.match(/a\.b/);
      expect(entries.find((e) => e.line === 3)!.reason).to.match(/\$where/);
      expect(JSON.parse(r.stdout).totals).to.include({ written: 2, rejected: 2 });
    });
  });
});
