import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir, writeFile, truncate, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { EJSON } from '../../src/core/bson.js';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { runImport } from '../../src/engine/import.js';
import { loadLayout } from '../../src/core/layout.js';
import type { Manifest } from '../../src/core/manifest.js';
import { COPILOT_COLLECTIONS, generateDocuments, type SyntheticCollection } from '../../src/synthetic/copilot.js';
import { runCli } from '../support/cli.js';
import { cosmosClient, readAllCosmos, seedCosmos, startCosmosTestServer, testLayout, type CosmosTestServer } from '../support/cosmos.js';
import { startFaultProxy, throttled } from '../support/fault-proxy.js';
import { latestRunRejectsDir } from '../support/rejects.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const COUNTS: Record<SyntheticCollection, number> = { sources: 5, archives: 40, messages: 120, threads: 150, chunks: 200, summaries: 60, reports: 10, user_roles: 4 };

async function writeLayout(server: CosmosTestServer, dir: string): Promise<string> {
  const path = join(dir, 'layout.json');
  await writeFile(path, JSON.stringify(testLayout(server)));
  return path;
}

function dbName(server: CosmosTestServer, db: string): string {
  return `${db}${server.suffix}`;
}

async function seedAll(server: CosmosTestServer): Promise<void> {
  for (const c of COPILOT_COLLECTIONS) await seedCosmos(server, dbName(server, 'copilot'), c, generateDocuments(c, COUNTS[c], { seed: 7 }));
  await seedCosmos(server, dbName(server, 'auth'), 'user_roles', generateDocuments('user_roles', COUNTS.user_roles, { seed: 7 }));
}

function cosmosArgs(server: { endpoint: string; key: string }): string[] {
  return ['--cosmos-endpoint', server.endpoint, '--cosmos-key', server.key];
}

describe('Cosmos DB export and import through a checked export directory', function () {
  this.timeout(120_000);
  let source: CosmosTestServer;
  let work: string;
  let layoutFile: string;
  let exportDir: string;

  before(async () => {
    source = await startCosmosTestServer();
    await seedAll(source);
    work = await tempDir();
    layoutFile = await writeLayout(source, work);
    exportDir = join(work, 'export');
    const result = await runCli(['export', '--source-type', 'cosmos', ...cosmosArgs(source), '--layout', layoutFile, '--output-dir', exportDir]);
    expect(result.code, result.stderr).to.equal(0);
  });

  after(async () => {
    await source.stop();
    await removeTempDirs();
  });

  describe('export', () => {
    it('writes <db>/<collection>.json as NDJSON, one document per line, without system properties', async () => {
      const lines = (await readFile(join(exportDir, 'copilot', 'messages.json'), 'utf8')).split('\n');
      expect(lines.pop()).to.equal('');
      expect(lines).to.have.length(COUNTS.messages);
      for (const line of lines) {
        const doc = JSON.parse(line);
        expect(doc).to.include.keys('id', '_id');
        expect(doc).to.not.have.any.keys('_rid', '_self', '_etag', '_attachments', '_ts');
      }
      expect(existsSync(join(exportDir, 'auth', 'user_roles.json'))).to.equal(true);
      const leftovers = (await readdir(join(exportDir, 'copilot'))).filter((f) => f.endsWith('.partial'));
      expect(leftovers).to.deep.equal([]);
    });

    it('writes a manifest with the guide\'s fields plus format, tool, layout and a checksum per file', async () => {
      const manifest = JSON.parse(await readFile(join(exportDir, 'manifest.json'), 'utf8')) as Manifest;
      expect(manifest.status).to.equal('complete');
      expect(manifest.format_version).to.equal(1);
      expect(manifest.tool.name).to.equal('docferry');
      expect(manifest.source_type).to.equal('cosmos');
      expect(manifest.source_endpoint).to.equal(source.endpoint);
      expect(manifest.exported_at).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(manifest.json_format).to.equal('json');
      expect(manifest.databases[dbName(source, 'copilot')]).to.deep.equal([...COPILOT_COLLECTIONS]);
      expect(manifest.databases[dbName(source, 'auth')]).to.deep.equal(['user_roles']);
      expect(manifest.document_counts[`${dbName(source, 'copilot')}.chunks`]).to.equal(COUNTS.chunks);
      expect(manifest.layout.document.databases).to.have.length(2);
      expect(manifest.files).to.have.length(8);
      for (const f of manifest.files) {
        const bytes = await readFile(join(exportDir, f.path));
        expect(f.bytes, f.path).to.equal(bytes.length);
        expect(f.sha256, f.path).to.equal(createHash('sha256').update(bytes).digest('hex'));
        expect(f.documents, f.path).to.equal(COUNTS[f.collection as SyntheticCollection]);
      }
    });

    it('exports only the collections named by --collections', async () => {
      const dir = join(work, 'only-two');
      const r = await runCli(['export', '--source-type', 'cosmos', ...cosmosArgs(source), '--layout', layoutFile, '--output-dir', dir, '--collections', 'sources,archives']);
      expect(r.code, r.stderr).to.equal(0);
      const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
      expect(manifest.files.map((f) => f.collection).sort()).to.deep.equal(['archives', 'sources']);
      expect(existsSync(join(dir, 'auth'))).to.equal(false);
    });

    it('refuses an unknown collection name instead of silently dropping it', async () => {
      const r = await runCli(['export', '--source-type', 'cosmos', ...cosmosArgs(source), '--layout', layoutFile, '--output-dir', join(work, 'typo'), '--collections', 'sources,mesages']);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.include('Unknown collection in --collections: mesages');
      expect(existsSync(join(work, 'typo'))).to.equal(false);
    });

    it('fails with a non-zero exit and leaves nothing that looks complete when a collection cannot be read', async () => {
      const partialSource = await startCosmosTestServer();
      try {
        await seedCosmos(partialSource, dbName(partialSource, 'copilot'), 'sources', generateDocuments('sources', 5));
        await seedCosmos(partialSource, dbName(partialSource, 'copilot'), 'archives', generateDocuments('archives', 5));
        const dir = join(work, 'failed-export');
        const lf = await writeLayout(partialSource, work);
        // The container exists (a missing one is absent, not a failure): its reads are refused.
        const proxy = await startFaultProxy(partialSource.endpoint, (req) =>
          req.method === 'POST' && req.url.includes('/colls/archives/docs') ? { type: 'respond', status: 400, body: JSON.stringify({ code: 'BadRequest', message: 'reads refused by the test' }) } : { type: 'pass' },
        );
        const r = await runCli(['export', '--source-type', 'cosmos', ...cosmosArgs({ endpoint: proxy.endpoint, key: partialSource.key }), '--layout', lf, '--output-dir', dir, '--collections', 'sources,archives']).finally(() => proxy.stop());
        expect(r.code, r.stderr).to.equal(1);
        expect(r.stdout, r.stderr).to.include('FAILED');
        const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
        expect(manifest.status).to.equal('failed');
        expect(manifest.document_counts[`${dbName(partialSource, 'copilot')}.archives`]).to.equal(-1);
        expect(manifest.failures?.map((f) => f.collection)).to.include('archives');
        const files = await readdir(join(dir, dbName(partialSource, 'copilot')));
        expect(files).to.deep.equal(['sources.json']);
        const imp = await runCli(['import', '--dest-type', 'cosmos', ...cosmosArgs(partialSource), '--layout', lf, '--export-dir', dir]);
        expect(imp.code).to.equal(4);
        expect(imp.stderr).to.include('status is "failed"');
      } finally {
        await partialSource.stop();
      }
    });

    it('refuses to write into a directory that already holds an export', async () => {
      const r = await runCli(['export', '--source-type', 'cosmos', ...cosmosArgs(source), '--layout', layoutFile, '--output-dir', exportDir]);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.include('already holds an export');
    });
  });

  describe('import', () => {
    let target: CosmosTestServer;
    beforeEach(async () => {
      target = await startCosmosTestServer();
    });
    afterEach(async () => {
      await target.stop();
    });

    it('round-trips every document: the target equals the source minus system properties', async () => {
      const r = await runCli(['import', '--dest-type', 'cosmos', ...cosmosArgs(target), '--layout', layoutFile, '--export-dir', exportDir, '--json']);
      expect(r.code, r.stderr).to.equal(0);
      const summary = JSON.parse(r.stdout);
      expect(summary.totals).to.deep.equal({ read: 589, written: 589, skipped: 0, rejected: 0 });
      for (const c of [...COPILOT_COLLECTIONS, 'user_roles'] as const) {
        const db = dbName(source, c === 'user_roles' ? 'auth' : 'copilot');
        const [a, b] = await Promise.all([readAllCosmos(source, db, c), readAllCosmos(target, db, c)]);
        expect(b, c).to.have.length(COUNTS[c]);
        expect(b, c).to.deep.equal(a);
      }
      const { resource } = await cosmosClient(target).database(dbName(source, 'copilot')).container('messages').read();
      expect(resource?.partitionKey?.paths).to.deep.equal(['/id']);
    });

    it('processes and reports collections in layout order, not in the file-path order of the manifest', async () => {
      const copilot = dbName(source, 'copilot');
      const auth = dbName(source, 'auth');
      const manifest = JSON.parse(await readFile(join(exportDir, 'manifest.json'), 'utf8')) as Manifest;
      const names = (list: { database: string; collection: string }[]) => list.map((c) => `${c.database}.${c.collection}`);
      // The manifest lists files by path (auth/ before copilot/, archives before sources): not the layout's order.
      expect(names(manifest.files)[0]).to.equal(`${auth}.user_roles`);
      const wanted = [`${copilot}.sources`, `${copilot}.archives`, `${copilot}.threads`, `${auth}.user_roles`];

      const r = await runCli(['import', '--dest-type', 'cosmos', ...cosmosArgs(target), '--layout', layoutFile, '--export-dir', exportDir,
        '--collections', 'user_roles,threads,archives,sources', '--parallel-collections', '1', '--json']);
      expect(r.code, r.stderr).to.equal(0);
      expect(names(JSON.parse(r.stdout).collections)).to.deep.equal(wanted);
      const started = r.stderr.split('\n').filter((l) => l.includes(': started')).map((l) => l.split(':')[0]);
      expect(started).to.deep.equal(wanted);

      // An import layout that lists the containers in another order: that order wins, in the run and in the summary.
      const layout = testLayout(source);
      const reordered = { ...layout, databases: [...layout.databases].reverse().map((d) => ({ ...d, containers: [...d.containers].reverse() })) };
      const events: string[] = [];
      const summary = await runImport({
        exportDir,
        target: { type: 'cosmos', connection: { endpoint: target.endpoint, key: target.key } },
        layout: { layout: reordered, source: 'test' },
        collections: ['sources', 'archives', 'threads', 'user_roles'],
        mode: 'upsert',
        parallelCollections: 1,
        events: (e) => {
          if (e.type === 'collection-start') events.push(`${e.database}.${e.collection}`);
        },
      });
      expect(summary.exitCode).to.equal(0);
      expect(events).to.deep.equal([...wanted].reverse());
      expect(names(summary.collections)).to.deep.equal([...wanted].reverse());
    });

    it('upsert overwrites existing documents; merge keeps them and counts them as skipped', async () => {
      const db = dbName(source, 'copilot');
      const first = await runCli(['import', '--dest-type', 'cosmos', ...cosmosArgs(target), '--layout', layoutFile, '--export-dir', exportDir, '--collections', 'sources,reports', '--json']);
      expect(first.code, first.stderr).to.equal(0);
      const container = cosmosClient(target).database(db).container('sources');
      const { resource } = await container.item('ietf-quic', 'ietf-quic').read();
      await container.items.upsert({ ...resource, status: 'edited-in-target' });

      const merge = await runCli(['import', '--dest-type', 'cosmos', ...cosmosArgs(target), '--layout', layoutFile, '--export-dir', exportDir, '--collections', 'sources,reports', '--mode', 'merge', '--json']);
      expect(merge.code, merge.stderr).to.equal(0);
      expect(JSON.parse(merge.stdout).totals).to.deep.equal({ read: 15, written: 0, skipped: 15, rejected: 0 });
      expect((await container.item('ietf-quic', 'ietf-quic').read()).resource.status).to.equal('edited-in-target');

      const upsert = await runCli(['import', '--dest-type', 'cosmos', ...cosmosArgs(target), '--layout', layoutFile, '--export-dir', exportDir, '--collections', 'sources,reports', '--json']);
      expect(JSON.parse(upsert.stdout).totals).to.deep.equal({ read: 15, written: 15, skipped: 0, rejected: 0 });
      expect((await container.item('ietf-quic', 'ietf-quic').read()).resource.status).to.not.equal('edited-in-target');
    });

    it('refuses an export with one changed byte, naming the file, before writing anything', async () => {
      const dir = join(work, 'tampered');
      await copyExport(exportDir, dir);
      const file = join(dir, dbName(source, 'copilot'), 'threads.json');
      const bytes = await readFile(file);
      bytes[100] = bytes[100] === 0x61 ? 0x62 : 0x61;
      await writeFile(file, bytes);
      const r = await runCli(['import', '--dest-type', 'cosmos', ...cosmosArgs(target), '--layout', layoutFile, '--export-dir', dir]);
      expect(r.code).to.equal(4);
      expect(r.stderr).to.include(`${dbName(source, 'copilot')}/threads.json has sha256`);
      expect(r.stderr).to.include('nothing was written');
      const { resources } = await cosmosClient(target).databases.readAll().fetchAll();
      expect(resources.filter((d) => d.id.endsWith(source.suffix) && d.id.startsWith('copilot'))).to.deep.equal([]);
    });

    it('refuses a truncated file, and imports it anyway only with --allow-partial', async () => {
      const dir = join(work, 'truncated');
      await copyExport(exportDir, dir);
      const file = join(dir, dbName(source, 'copilot'), 'chunks.json');
      await truncate(file, (await stat(file)).size - 500);
      const refused = await runCli(['import', '--dest-type', 'cosmos', ...cosmosArgs(target), '--layout', layoutFile, '--export-dir', dir, '--collections', 'chunks']);
      expect(refused.code).to.equal(4);
      expect(refused.stderr).to.include('chunks.json is');
      expect(refused.stderr).to.include('--allow-partial');

      const forced = await runCli(['import', '--dest-type', 'cosmos', ...cosmosArgs(target), '--layout', layoutFile, '--export-dir', dir, '--collections', 'chunks', '--allow-partial', '--json']);
      expect(forced.code).to.equal(3);
      expect(forced.stderr).to.include('warning: --allow-partial');
      const summary = JSON.parse(forced.stdout);
      expect(summary.totals.written).to.equal(COUNTS.chunks - 1);
      expect(summary.totals.rejected).to.equal(1);
      const rejects = (await readFile(join(await latestRunRejectsDir(join(dir, '_rejects')), `${dbName(source, 'copilot')}.chunks.ndjson`), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
      expect(rejects[0].line).to.equal(COUNTS.chunks);
      expect(rejects[0].reason).to.include('truncated');
    });

    it('sends a malformed line to the rejects file with its line number while the other documents import', async () => {
      const dir = join(work, 'legacy-with-bad-line');
      const db = dbName(source, 'copilot');
      const docs = [...generateDocuments('archives', 6, { seed: 3 })];
      const lines = docs.map((d) => JSON.stringify(d));
      lines.splice(2, 0, '{"id": "broken", "source": ', '[1, 2, 3]');
      await writeExportByHand(dir, db, 'archives', lines, { [`${db}.archives`]: lines.length });
      const r = await runCli(['import', '--dest-type', 'cosmos', ...cosmosArgs(target), '--layout', layoutFile, '--export-dir', dir, '--json']);
      expect(r.code).to.equal(3);
      expect(r.stderr).to.include('original export scripts');
      expect(r.stderr).to.match(/rejected .*archives\.json, line 3\): malformed JSON/);
      expect(r.stderr).to.match(/line 4\): the line is an array, not a JSON object/);
      const summary = JSON.parse(r.stdout);
      expect(summary.totals).to.include({ read: 8, written: 6, rejected: 2 });
      expect(await readAllCosmos(target, db, 'archives')).to.have.length(6);
      const rejects = (await readFile(join(await latestRunRejectsDir(join(dir, '_rejects')), `${db}.archives.ndjson`), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
      expect(rejects.map((e) => [e.source_file, e.line])).to.deep.equal([
        [`${db}/archives.json`, 3],
        [`${db}/archives.json`, 4],
      ]);
      expect(rejects[0].raw).to.equal('{"id": "broken", "source": ');
    });

    it('applies the id rules: id from _id, and ids Cosmos DB cannot store are rejected with their position', async () => {
      const dir = join(work, 'ids');
      const db = dbName(source, 'copilot');
      const lines = [
        JSON.stringify({ _id: 'only-underscore-id', name: 'a' }),
        JSON.stringify({ id: 'has/slash', name: 'b' }),
        JSON.stringify({ id: 'x'.repeat(1024), name: 'c' }),
        JSON.stringify({ name: 'no id at all' }),
        JSON.stringify({ id: 'big', blob: 'y'.repeat(2 * 1024 * 1024 + 10) }),
      ];
      await writeExportByHand(dir, db, 'sources', lines, { [`${db}.sources`]: lines.length });
      const r = await runCli(['import', '--dest-type', 'cosmos', ...cosmosArgs(target), '--layout', layoutFile, '--export-dir', dir, '--json']);
      expect(r.code).to.equal(3);
      const stored = await readAllCosmos(target, db, 'sources');
      expect(stored).to.deep.equal([{ id: 'only-underscore-id', _id: 'only-underscore-id', name: 'a' }]);
      const rejects = (await readFile(join(await latestRunRejectsDir(join(dir, '_rejects')), `${db}.sources.ndjson`), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
      expect(rejects.map((e) => [e.line, e.reason.slice(0, 40)])).to.deep.equal([
        [2, 'id contains "/", which Cosmos DB does no'],
        [3, 'id is 1024 bytes; Cosmos DB allows at mo'],
        [4, 'document has neither id nor _id'],
        [5, `document is ${Buffer.byteLength(lines[4]!)} bytes; Cosmos DB ite`],
      ]);
      expect(rejects[3].reason).to.include('limited to 2 MB');
    });

    it('rejects each document Cosmos DB would refuse or rewrite, with its line and a specific reason, and imports the others', async () => {
      const dir = join(work, 'refused-by-cosmos');
      const db = dbName(source, 'copilot');
      const ascii300 = 'i'.repeat(300);
      const bytes1023 = '€'.repeat(341); // 3 bytes each
      const system = { _rid: 'AAAAAAAAAAA=', _self: 'dbs/AAAA==/colls/AAAAAA==/docs/AAAAAAAAAAA=/', _etag: '"00000000-0000-0000-0000-000000000000"', _attachments: 'mine/', _ts: 1_600_000_000 };
      const docs: [Record<string, unknown>, string | undefined][] = [
        [{ id: 'plain', name: 'kept' }, undefined],
        [{ id: 'back\\slash' }, 'id contains "\\", which Cosmos DB does not allow in ids (/ \\ ? #)'],
        [{ id: 'what?' }, 'id contains "?", which Cosmos DB does not allow in ids (/ \\ ? #)'],
        [{ id: 'hash#tag' }, 'id contains "#", which Cosmos DB does not allow in ids (/ \\ ? #)'],
        [{ id: 'a/b' }, 'id contains "/", which Cosmos DB does not allow in ids (/ \\ ? #)'],
        [{ _id: 'from/underscore-id' }, 'id contains "/", which Cosmos DB does not allow in ids (/ \\ ? #)'],
        // Item ids are limited to 1,023 bytes (255 characters is the limit for database and container names).
        [{ id: ascii300 }, undefined],
        [{ id: bytes1023 }, undefined],
        [{ id: `${bytes1023}€` }, 'id is 1026 bytes; Cosmos DB allows at most 1023'],
        [{ id: 42 }, 'id must be a string, found number'],
        [{ id: true }, 'id must be a string, found boolean'],
        [{ id: null }, 'id must be a string, found null'],
        [{ id: '' }, 'id is empty'],
        [{ _id: null }, 'cannot convert for Cosmos DB at _id: _id is null; Cosmos DB needs a string id'],
        // A compound _id becomes its JSON text, by the documented rule (it was "[object Object]").
        [{ _id: { tenant: 'a', n: 1 } }, undefined],
        // From a Cosmos DB export that kept the system properties: the service's own metadata, left out.
        [{ id: 'with-system-properties', ...system }, undefined],
      ];
      const lines = docs.map(([d]) => JSON.stringify(d));
      await writeExportByHand(dir, db, 'sources', lines, { [`${db}.sources`]: lines.length });
      const r = await runCli(['import', '--dest-type', 'cosmos', ...cosmosArgs(target), '--layout', layoutFile, '--export-dir', dir, '--json']);
      expect(r.code, r.stderr).to.equal(3);
      const good = docs.filter(([, reason]) => reason === undefined).length;
      expect(JSON.parse(r.stdout).totals).to.deep.equal({ read: docs.length, written: good, skipped: 0, rejected: docs.length - good });

      const rejects = (await readFile(join(await latestRunRejectsDir(join(dir, '_rejects')), `${db}.sources.ndjson`), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
      const expected = docs.flatMap(([, reason], i) => (reason === undefined ? [] : [[i + 1, reason]]));
      expect(rejects.map((e) => [e.line, e.reason])).to.deep.equal(expected);
      for (const e of rejects) {
        expect(e.source_file).to.equal(`${db}/sources.json`);
        expect(EJSON.deserialize(e.document), `line ${e.line}`).to.deep.equal(docs[e.line - 1]![0]);
      }
      expect(r.stderr).to.include(`rejected ${db}.sources (${db}/sources.json, line 2, id back\\slash): id contains "\\"`);

      const stored = await readAllCosmos(target, db, 'sources');
      expect(stored.map((d) => d.id).sort()).to.deep.equal(['plain', ascii300, bytes1023, '{"tenant":"a","n":1}', 'with-system-properties'].sort());
      const { resource: item } = await cosmosClient(target).database(db).container('sources').item('with-system-properties', 'with-system-properties').read();
      for (const [k, v] of Object.entries(system)) expect(item?.[k], k).to.not.deep.equal(v);
    });

    it('rejects a MongoDB document with a field Cosmos DB owns (_ts...): its value would be overwritten', async () => {
      const dir = join(work, 'mongo-system-fields');
      const db = dbName(source, 'copilot');
      const lines = [
        JSON.stringify({ _id: 'm1', name: 'plain' }),
        JSON.stringify({ _id: 'm2', _ts: 1_600_000_000, name: 'the application keeps its own _ts' }),
        JSON.stringify({ _id: 'm3', _etag: 'v7' }),
      ];
      await writeExportByHand(dir, db, 'reports', lines, { [`${db}.reports`]: lines.length }, 'mongodb');
      const r = await runCli(['import', '--dest-type', 'cosmos', ...cosmosArgs(target), '--layout', layoutFile, '--export-dir', dir, '--json']);
      expect(r.code, r.stderr).to.equal(3);
      expect((await readAllCosmos(target, db, 'reports')).map((d) => d.id)).to.deep.equal(['m1']);
      const rejects = (await readFile(join(await latestRunRejectsDir(join(dir, '_rejects')), `${db}.reports.ndjson`), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
      expect(rejects.map((e) => [e.line, e.id, e.reason])).to.deep.equal([
        [2, 'm2', 'field "_ts" is a Cosmos DB system property (_rid _self _etag _attachments _ts): Cosmos DB sets it on every write, so this document\'s value (1600000000) would be lost. Rename the field, in the source or in this rejects entry, and import the document again.'],
        [3, 'm3', 'field "_etag" is a Cosmos DB system property (_rid _self _etag _attachments _ts): Cosmos DB sets it on every write, so this document\'s value ("v7") would be lost. Rename the field, in the source or in this rejects entry, and import the document again.'],
      ]);
    });

    it('rejects a document missing its partition-key value, and --max-errors stops early', async () => {
      const dir = join(work, 'missing-pk');
      const db = dbName(source, 'copilot');
      const layout = testLayout(source, loadLayout());
      layout.databases[0]!.containers.find((c) => c.name === 'threads')!.partitionKey = { paths: ['/archive_id'] };
      const lf = join(dir + '-layout.json');
      await writeFile(lf, JSON.stringify(layout));
      const lines = Array.from({ length: 10 }, (_, i) => JSON.stringify(i % 2 === 0 ? { id: `t${i}`, archive_id: 'a1' } : { id: `t${i}` }));
      await writeExportByHand(dir, db, 'threads', lines, { [`${db}.threads`]: lines.length });
      const r = await runCli(['import', '--dest-type', 'cosmos', ...cosmosArgs(target), '--layout', lf, '--export-dir', dir, '--json']);
      expect(r.code).to.equal(3);
      expect(JSON.parse(r.stdout).totals).to.include({ written: 5, rejected: 5 });
      expect(r.stderr).to.include('missing partition-key value at /archive_id');

      const t2 = await startCosmosTestServer();
      try {
        const stopped = await runCli(['import', '--dest-type', 'cosmos', ...cosmosArgs(t2), '--layout', lf, '--export-dir', dir, '--max-errors', '2', '--batch-size', '1', '--concurrency', '1']);
        expect(stopped.code).to.equal(3);
        expect(stopped.stderr).to.include('more than 2 documents were rejected (--max-errors 2)');
      } finally {
        await t2.stop();
      }
    });

    it('with RBAC, fails before any write when a container is missing, saying containers must be provisioned', async function () {
      // Bearer tokens travel over TLS only: this needs an HTTPS server, which a real account is.
      const tlsTarget = target.external ? target : await startCosmosTestServer({ tls: true });
      const db = dbName(source, 'copilot');
      await seedCosmos(tlsTarget, db, 'sources', []);
      const credential: TokenCredential = { getToken: async (): Promise<AccessToken> => ({ token: 'local-test-token', expiresOnTimestamp: Date.now() + 3_600_000 }) };
      let error: Error | undefined;
      try {
        await runImport({
          exportDir,
          target: { type: 'cosmos', connection: { endpoint: tlsTarget.endpoint, credential, ...(tlsTarget.ca ? { caCertificate: tlsTarget.ca } : {}) } },
          layout: { layout: testLayout(source), source: 'test' },
          mode: 'upsert',
        });
      } catch (err) {
        error = err as Error;
      }
      expect(error?.name).to.equal('TargetSchemaError');
      expect(error?.message).to.include(`${db}.archives`);
      expect(error?.message).to.include('provision them first');
      expect(error?.message).to.not.include(`${db}.sources,`);
      expect(await readAllCosmos(tlsTarget, db, 'sources')).to.deep.equal([]);
      if (tlsTarget !== target) await tlsTarget.stop();
    });

    it('refuses a container whose partition key differs from the layout, before any write', async () => {
      const db = dbName(source, 'copilot');
      await seedCosmos(target, db, 'messages', [], '/thread_id');
      const r = await runCli(['import', '--dest-type', 'cosmos', ...cosmosArgs(target), '--layout', layoutFile, '--export-dir', exportDir]);
      expect(r.code).to.equal(1);
      expect(r.stderr).to.include(`${db}.messages: the container is partitioned by /thread_id, the layout says /id`);
      expect(await readAllCosmos(target, db, 'messages')).to.deep.equal([]);
      const { resources } = await cosmosClient(target).database(db).containers.readAll().fetchAll();
      const counts = await Promise.all(resources.map((c) => readAllCosmos(target, db, c.id).then((d) => d.length)));
      expect(counts.reduce((a, b) => a + b, 0)).to.equal(0);
    });

    it('survives 429 throttling and honours x-ms-retry-after-ms', async () => {
      const proxy = await startFaultProxy(target.endpoint);
      let throttledSoFar = 0;
      proxy.setPolicy((req) => (req.isBatch && throttledSoFar++ < 6 ? throttled(300) : { type: 'pass' }));
      try {
        const started = Date.now();
        const r = await runCli(['import', '--dest-type', 'cosmos', '--cosmos-endpoint', proxy.endpoint, '--cosmos-key', target.key, '--layout', layoutFile, '--export-dir', exportDir, '--collections', 'threads', '--concurrency', '1', '--json']);
        expect(r.code, r.stderr).to.equal(0);
        expect(proxy.injected.get(429)).to.equal(6);
        // 150 threads go out as two concurrent bulk requests (100 + 50 operations): the six 429s
        // are three rounds, and nothing is sent for the 300 ms the server asked after each.
        expect(Date.now() - started).to.be.at.least(3 * 300);
        expect(JSON.parse(r.stdout).totals).to.include({ written: COUNTS.threads, rejected: 0 });
        expect(await readAllCosmos(target, dbName(source, 'copilot'), 'threads')).to.have.length(COUNTS.threads);
      } finally {
        await proxy.stop();
      }
    });
  });
});

async function copyExport(from: string, to: string): Promise<void> {
  const { cp } = await import('node:fs/promises');
  await cp(from, to, { recursive: true });
}

/** An export as the original Python scripts wrote it: NDJSON files and a manifest without checksums. */
async function writeExportByHand(dir: string, db: string, collection: string, lines: string[], counts: Record<string, number>, sourceType = 'cosmos'): Promise<void> {
  const { mkdir } = await import('node:fs/promises');
  await mkdir(join(dir, db), { recursive: true });
  await writeFile(join(dir, db, `${collection}.json`), `${lines.join('\n')}\n`);
  await writeFile(
    join(dir, 'manifest.json'),
    JSON.stringify({ exported_at: '2026-02-12T17:00:00Z', source_type: sourceType, source_endpoint: 'https://example.documents.azure.com:443/', databases: { [db]: [collection] }, document_counts: counts }),
  );
}
