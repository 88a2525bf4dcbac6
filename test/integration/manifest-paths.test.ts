import { cp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Manifest } from '../../src/core/manifest.js';
import { generateDocuments } from '../../src/synthetic/copilot.js';
import { runCli } from '../support/cli.js';
import { cosmosClient, seedCosmos, startCosmosTestServer, testLayout, type CosmosTestServer } from '../support/cosmos.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

/**
 * A manifest is input like any other: import and verify read only files inside the export
 * directory, whatever its `files[].path` says (issue 14, item 3). Each case keeps the file's size,
 * sha256 and count right, so that only the path can be what is refused.
 */
describe('a manifest cannot make import or verify read outside the export directory', function () {
  this.timeout(120_000);
  let source: CosmosTestServer;
  let target: CosmosTestServer;
  let work: string;
  let layoutFile: string;
  let good: string;
  let db: string;

  const importArgs = (dir: string) => ['import', '--dest-type', 'cosmos', '--cosmos-endpoint', target.endpoint, '--cosmos-key', target.key, '--layout', layoutFile, '--export-dir', dir];
  const verifyArgs = (dir: string) => ['verify', '--left-type', 'dir', '--left-dir', dir, '--right-type', 'cosmos', '--right-cosmos-endpoint', source.endpoint, '--right-cosmos-key', source.key, '--layout', layoutFile];

  /** A copy of the good export whose manifest lists sources.json under another path. */
  async function withPath(name: string, path: (dir: string) => string): Promise<string> {
    const dir = join(work, name, 'export');
    await cp(good, dir, { recursive: true });
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    const file = manifest.files.find((f) => f.collection === 'sources')!;
    file.path = path(dir);
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
    return dir;
  }

  async function targetIsUntouched(): Promise<void> {
    const { resources } = await cosmosClient(target).databases.readAll().fetchAll();
    expect(resources.map((d) => d.id)).to.not.include(db);
  }

  before(async () => {
    [source, target] = await Promise.all([startCosmosTestServer(), startCosmosTestServer()]);
    db = `copilot${source.suffix}`;
    work = await tempDir();
    layoutFile = join(work, 'layout.json');
    await writeFile(layoutFile, JSON.stringify(testLayout(source)));
    await seedCosmos(source, db, 'sources', generateDocuments('sources', 5, { seed: 5 }));
    good = join(work, 'good');
    const r = await runCli(['export', '--source-type', 'cosmos', '--cosmos-endpoint', source.endpoint, '--cosmos-key', source.key, '--layout', layoutFile, '--output-dir', good, '--collections', 'sources']);
    expect(r.code, r.stderr).to.equal(0);
  });

  after(async () => {
    await Promise.all([source.stop(), target.stop()]);
    await removeTempDirs();
  });

  it('a path with ../ to a file beside the export: refused before any write, naming the entry (exit 4)', async () => {
    const dir = await withPath('dotdot', () => '../../outside.json');
    await cp(join(good, db, 'sources.json'), join(work, 'outside.json'));
    const r = await runCli(importArgs(dir));
    expect(r.code, r.stderr).to.equal(4);
    expect(r.stderr).to.include('lists the file "../../outside.json"');
    expect(r.stderr).to.include(`${db}.sources`);
    expect(r.stderr).to.include('nothing was read or written');
    await targetIsUntouched();
    const v = await runCli(verifyArgs(dir));
    expect(v.code, v.stderr).to.equal(4);
    expect(v.stderr).to.include('lists the file "../../outside.json"');
  });

  it('an absolute path, even with --allow-partial', async () => {
    const outside = join(work, 'absolute-outside.json');
    await cp(join(good, db, 'sources.json'), outside);
    const dir = await withPath('absolute', () => outside);
    const r = await runCli([...importArgs(dir), '--allow-partial']);
    expect(r.code, r.stderr).to.equal(4);
    expect(r.stderr).to.include(`lists the file "${outside}"`);
    await targetIsUntouched();
  });

  it('a symbolic link inside the export to a file outside it', async () => {
    const dir = await withPath('symlink', () => `${db}/sources.json`);
    const outside = join(work, 'symlink', 'elsewhere.json');
    await cp(join(dir, db, 'sources.json'), outside);
    await rm(join(dir, db, 'sources.json'));
    await symlink(outside, join(dir, db, 'sources.json'));
    const r = await runCli(importArgs(dir));
    expect(r.code, r.stderr).to.equal(4);
    expect(r.stderr).to.include(`symbolic link to ${outside}, outside the export directory`);
    await targetIsUntouched();
    const v = await runCli(verifyArgs(dir));
    expect(v.code, v.stderr).to.equal(4);
  });

  it('a directory symlink that leads out, and a legacy manifest whose database name is ..', async () => {
    const dir = await withPath('dir-symlink', () => `${db}/sources.json`);
    const outsideDir = join(work, 'dir-symlink', 'elsewhere');
    await cp(join(dir, db), outsideDir, { recursive: true });
    await rm(join(dir, db), { recursive: true });
    await symlink(outsideDir, join(dir, db));
    const r = await runCli(importArgs(dir));
    expect(r.code, r.stderr).to.equal(4);
    expect(r.stderr).to.include('outside the export directory');

    const legacy = join(work, 'legacy', 'export');
    await mkdir(legacy, { recursive: true });
    await cp(join(good, db, 'sources.json'), join(work, 'legacy', 'sources.json'));
    await writeFile(join(legacy, 'manifest.json'), JSON.stringify({ exported_at: '2026-02-12T17:00:00Z', source_type: 'cosmos', databases: { '..': ['sources'] }, document_counts: { '...sources': 5 } }));
    const l = await runCli(importArgs(legacy));
    expect(l.code, l.stderr).to.equal(4);
    expect(l.stderr).to.include('lists the file "../sources.json"');
    await targetIsUntouched();
  });

  it('a link to a file inside the export is followed', async () => {
    const dir = await withPath('inner-link', () => `${db}/sources.json`);
    await cp(join(dir, db, 'sources.json'), join(dir, 'real-sources.json'));
    await rm(join(dir, db, 'sources.json'));
    await symlink(join(dir, 'real-sources.json'), join(dir, db, 'sources.json'));
    const v = await runCli(verifyArgs(dir));
    expect(v.code, v.stderr).to.equal(0);
  });
});
