import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { expect } from 'chai';
import type { Manifest } from '../../src/core/manifest.js';
import { generateDocuments, type SyntheticCollection } from '../../src/synthetic/copilot.js';
import { runCli } from '../support/cli.js';
import { readAllCosmos, seedCosmos, startCosmosTestServer, testLayout, type CosmosTestServer } from '../support/cosmos.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const COUNTS: Partial<Record<SyntheticCollection, number>> = { messages: 150, chunks: 300, user_roles: 4 };

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('--gzip export files', function () {
  this.timeout(120_000);
  let source: CosmosTestServer;
  let work: string;
  let layoutFile: string;
  let exportDir: string;
  let manifest: Manifest;

  const db = (name: string) => `${name}${source.suffix}`;
  const cosmosArgs = (s: CosmosTestServer) => ['--cosmos-endpoint', s.endpoint, '--cosmos-key', s.key, '--layout', layoutFile];
  const importInto = (target: CosmosTestServer, dir: string, extra: string[] = []) =>
    runCli(['import', '--dest-type', 'cosmos', ...cosmosArgs(target), '--export-dir', dir, ...extra]);

  /** A copy of the export to damage, so each test starts from the intact one. */
  async function copyOfExport(name: string): Promise<string> {
    const dir = join(work, name);
    await cp(exportDir, dir, { recursive: true });
    return dir;
  }

  before(async () => {
    source = await startCosmosTestServer();
    for (const [collection, n] of Object.entries(COUNTS) as [SyntheticCollection, number][]) {
      await seedCosmos(source, db(collection === 'user_roles' ? 'auth' : 'copilot'), collection, generateDocuments(collection, n, { seed: 5 }));
    }
    work = await tempDir();
    layoutFile = join(work, 'layout.json');
    await writeFile(layoutFile, JSON.stringify(testLayout(source)));
    exportDir = join(work, 'export');
    const r = await runCli(['export', '--source-type', 'cosmos', ...cosmosArgs(source), '--output-dir', exportDir, '--collections', 'messages,chunks,user_roles', '--gzip']);
    expect(r.code, r.stderr).to.equal(0);
    manifest = JSON.parse(await readFile(join(exportDir, 'manifest.json'), 'utf8')) as Manifest;
  });

  after(async () => {
    await source.stop();
    await removeTempDirs();
  });

  it('writes <db>/<collection>.json.gz that gunzip turns into NDJSON, and nothing uncompressed', async () => {
    const files = await readdir(join(exportDir, db('copilot')));
    expect(files.sort()).to.deep.equal(['chunks.json.gz', 'messages.json.gz']);
    const raw = await readFile(join(exportDir, db('copilot'), 'chunks.json.gz'));
    expect([raw[0], raw[1]]).to.deep.equal([0x1f, 0x8b]);
    const lines = gunzipSync(raw).toString('utf8').split('\n');
    expect(lines.pop()).to.equal('');
    expect(lines).to.have.length(COUNTS.chunks!);
    expect(JSON.parse(lines[0]!)).to.include.keys('id', 'text');
    // Synthetic text compresses well; a file that is not smaller than its content is not compressed.
    expect(raw.length).to.be.below(Buffer.byteLength(lines.join('\n')) / 2);
  });

  it('records size and sha256 over the stored (compressed) bytes, and the compression, in the manifest', async () => {
    expect(manifest.status).to.equal('complete');
    expect(manifest.files).to.have.length(3);
    for (const f of manifest.files) {
      expect(f.path, f.path).to.match(/\.json\.gz$/);
      expect(f.compression, f.path).to.equal('gzip');
      const stored = await readFile(join(exportDir, f.path));
      expect(f.bytes, f.path).to.equal(stored.length);
      expect(f.sha256, f.path).to.equal(sha256(stored));
      expect(f.sha256, `${f.path}: the checksum is not over the decompressed content`).to.not.equal(sha256(gunzipSync(stored)));
      expect(f.documents, f.path).to.equal(COUNTS[f.collection as SyntheticCollection]);
    }
  });

  it('round-trips: importing the compressed export yields exactly the source documents', async () => {
    const target = await startCosmosTestServer();
    try {
      const r = await importInto(target, exportDir, ['--json']);
      expect(r.code, r.stderr).to.equal(0);
      expect(JSON.parse(r.stdout).totals).to.include({ written: 454, rejected: 0 });
      for (const [collection, database] of [['messages', 'copilot'], ['chunks', 'copilot'], ['user_roles', 'auth']] as const) {
        expect(await readAllCosmos(target, db(database), collection), collection).to.deep.equal(await readAllCosmos(source, db(database), collection));
      }
    } finally {
      await target.stop();
    }
  });

  it('detects compression from the content, not from the manifest\'s word for it', async () => {
    const dir = await copyOfExport('no-compression-field');
    const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    for (const f of m.files) delete f.compression;
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(m, null, 2));
    const target = await startCosmosTestServer();
    try {
      const r = await importInto(target, dir, ['--collections', 'chunks', '--json']);
      expect(r.code, r.stderr).to.equal(0);
      expect(await readAllCosmos(target, db('copilot'), 'chunks')).to.have.length(COUNTS.chunks!);
    } finally {
      await target.stop();
    }
  });

  it('refuses a .gz with one changed byte, naming the file, before writing anything', async () => {
    const dir = await copyOfExport('flipped-byte');
    const path = join(dir, db('copilot'), 'messages.json.gz');
    const bytes = await readFile(path);
    bytes[Math.floor(bytes.length / 2)] ^= 0x40;
    await writeFile(path, bytes);
    const target = await startCosmosTestServer();
    try {
      const r = await importInto(target, dir);
      expect(r.code).to.equal(4);
      expect(r.stderr).to.include(`${db('copilot')}/messages.json.gz has sha256`);
      expect(r.stderr).to.include('nothing was written');
      expect(existsSync(join(dir, '_rejects'))).to.equal(false);
      expect(await readAllCosmos(target, db('copilot'), 'chunks').catch(() => [])).to.deep.equal([]);
    } finally {
      await target.stop();
    }
  });

  it('refuses a truncated .gz even when the manifest was rewritten to match its bytes (damage the checksum cannot see)', async () => {
    const dir = await copyOfExport('truncated-gz');
    const rel = `${db('copilot')}/chunks.json.gz`;
    const path = join(dir, rel);
    const truncated = (await readFile(path)).subarray(0, 2000);
    await writeFile(path, truncated);
    const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    const entry = m.files.find((f) => f.path === rel)!;
    entry.bytes = truncated.length;
    entry.sha256 = sha256(truncated);
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(m, null, 2));
    const target = await startCosmosTestServer();
    try {
      const r = await importInto(target, dir);
      expect(r.code).to.equal(4);
      expect(r.stderr).to.include(rel);
      expect(r.stderr).to.match(/nothing was written/i);
      expect(await readAllCosmos(target, db('copilot'), 'chunks').catch(() => [])).to.deep.equal([]);
    } finally {
      await target.stop();
    }
  });
});
