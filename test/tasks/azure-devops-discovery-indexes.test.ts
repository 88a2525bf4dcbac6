/**
 * The task inputs all and strict (export, migrate, verify) and noIndexes (import, migrate): CLI
 * flags only until issue 13's last part. Each is set on the bundled task as the agent runs it, and
 * shown to reach the engine by what it changes on a real MongoDB server (FerretDB), against the
 * same step without it.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { buildAzureDevOpsTask } from '../../scripts/build-tasks.js';
import type { Layout } from '../../src/core/layout.js';
import type { Manifest } from '../../src/core/manifest.js';
import { startMongoTestServer, type MongoTestServer } from '../support/ferretdb.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';
import { readTaskJson, runAgentTask, type AgentResult, type TaskJson } from './support/agent.js';

type TaskName = 'DocferryExport' | 'DocferryImport' | 'DocferryMigrate' | 'DocferryVerify';

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

describe('Azure DevOps tasks: the all, strict and noIndexes inputs reach the engine', function () {
  this.timeout(180_000);
  let source: MongoTestServer;
  let target: MongoTestServer;
  let work: string;
  let layoutFile: string;
  const bundles: Partial<Record<TaskName, { dir: string; task: TaskJson }>> = {};
  const db = `disc_task${process.pid}`;

  async function run(name: TaskName, inputs: Record<string, string>): Promise<AgentResult> {
    const b = bundles[name]!;
    return runAgentTask({ bundleDir: b.dir, task: b.task, inputs: { layoutFile, ...inputs }, workDir: await tempDir('docferry-agent-') });
  }

  async function withClient<T>(uri: string, body: (c: MongoClient) => Promise<T>): Promise<T> {
    const client = new MongoClient(uri);
    try {
      return await body(client);
    } finally {
      await client.close();
    }
  }

  const targetCollections = () => withClient(target.uri, async (c) => (await c.db(db).listCollections().toArray()).map((x) => x.name).sort());
  const targetIndexes = () => withClient(target.uri, async (c) => (await c.db(db).collection('users').listIndexes().toArray()).map((i) => i.name as string).sort());
  const dropTarget = () => withClient(target.uri, (c) => c.db(db).dropDatabase());
  /** Passed; warnings (the layout does not name extra) may make it "with issues": what the input changes is asserted on the server. */
  const passed = (r: AgentResult) => expect(r.result, r.stdout).to.be.oneOf(['Succeeded', 'SucceededWithIssues']);
  const mongoSource = () => ({ sourceType: 'mongodb', mongoUri: source.uri });
  const migrateInputs = () => ({ fromType: 'mongodb', fromMongoUri: source.uri, toType: 'mongodb', toMongoUri: target.uri });

  before(async function () {
    this.timeout(600_000); // a cold build of the FerretDB launcher, and four bundles
    work = await tempDir('docferry-disc-task-');
    [source, target] = await Promise.all([startMongoTestServer(), startMongoTestServer()]);
    for (const name of ['DocferryExport', 'DocferryImport', 'DocferryMigrate', 'DocferryVerify'] as const) {
      const dir = join(work, 'bundles', name);
      await buildAzureDevOpsTask(name, dir);
      bundles[name] = { dir, task: readTaskJson(name) };
    }
    await withClient(source.uri, async (c) => {
      const users = c.db(db).collection('users');
      await users.insertMany([{ _id: 'u1' as never, email: 'a@example.org' }, { _id: 'u2' as never, email: 'b@example.org' }]);
      await users.createIndex({ email: 1 }, { unique: true, name: 'email_1' });
      await c.db(db).collection('extra').insertMany([{ _id: 'e1' as never }, { _id: 'e2' as never }, { _id: 'e3' as never }]);
    });
    // The layout names users, and no extra: only all moves it.
    const pk = { paths: ['/id'], kind: 'Hash' as const };
    const layout: Layout = { name: 'discovery-task-test', defaultPartitionKey: pk, databases: [{ name: db, containers: [{ name: 'users', partitionKey: pk }] }] };
    layoutFile = join(work, 'layout.json');
    await writeFile(layoutFile, JSON.stringify(layout));
  });

  after(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
    await removeTempDirs();
  });

  describe('export', () => {
    it('all: the collection the layout does not name is exported too; without it, only warned about', async () => {
      const withAll = await run('DocferryExport', { ...mongoSource(), outputDir: join(work, 'export-all'), all: 'true' });
      passed(withAll);
      expect(withAll.warnings.join('\n')).to.not.include('does not name it');
      const manifest = JSON.parse(await readFile(join(work, 'export-all', 'manifest.json'), 'utf8')) as Manifest;
      expect(manifest.document_counts).to.include({ [`${db}.users`]: 2, [`${db}.extra`]: 3 });

      const without = await run('DocferryExport', { ...mongoSource(), outputDir: join(work, 'export-layout') });
      expect(without.result, without.stdout).to.equal('SucceededWithIssues');
      expect(without.warnings.join('\n')).to.include(`${db}.extra (3 documents) exists on`);
      const named = JSON.parse(await readFile(join(work, 'export-layout', 'manifest.json'), 'utf8')) as Manifest;
      expect(Object.keys(named.document_counts).filter((k) => k.startsWith(`${db}.`))).to.deep.equal([`${db}.users`]);
    });

    it('strict: the step fails before anything is written when the source holds more than the layout', async () => {
      const outputDir = join(work, 'export-strict');
      const r = await run('DocferryExport', { ...mongoSource(), outputDir, strict: 'true' });
      expect(r.result, r.stdout).to.equal('Failed');
      expect(r.errors.join('\n')).to.include('the source does not match the layout; nothing was written').and.include(`${db}.extra (3 documents)`);
      expect(await exists(outputDir)).to.equal(false);
    });
  });

  describe('import', () => {
    it('noIndexes: the source\'s index is not rebuilt on the target; without it, it is', async () => {
      const exportDir = join(work, 'export-layout');
      await dropTarget();
      const skipped = await run('DocferryImport', { destType: 'mongodb', mongoUri: target.uri, exportDir, noIndexes: 'true' });
      passed(skipped);
      expect(skipped.outputs.documentsWritten).to.equal('2');
      expect(await targetIndexes()).to.deep.equal(['_id_']);

      await dropTarget();
      const carried = await run('DocferryImport', { destType: 'mongodb', mongoUri: target.uri, exportDir });
      passed(carried);
      expect(await targetIndexes()).to.deep.equal(['_id_', 'email_1']);
    });
  });

  describe('migrate', () => {
    it('all and noIndexes: every collection found is moved, and no index rebuilt', async () => {
      await dropTarget();
      const r = await run('DocferryMigrate', { ...migrateInputs(), all: 'true', noIndexes: 'true' });
      passed(r);
      expect(await targetCollections()).to.deep.equal(['extra', 'users']);
      expect(await targetIndexes()).to.deep.equal(['_id_']);
    });

    it('without them: the layout\'s collections only, with their indexes', async () => {
      await dropTarget();
      const r = await run('DocferryMigrate', migrateInputs());
      passed(r);
      expect(await targetCollections()).to.deep.equal(['users']);
      expect(await targetIndexes()).to.deep.equal(['_id_', 'email_1']);
    });

    it('strict: fails before anything is written', async () => {
      await dropTarget();
      const r = await run('DocferryMigrate', { ...migrateInputs(), strict: 'true' });
      expect(r.result, r.stdout).to.equal('Failed');
      expect(r.errors.join('\n')).to.include('the source does not match the layout; nothing was written');
      expect(await targetCollections()).to.deep.equal([]);
    });
  });

  describe('verify', () => {
    const verifyInputs = () => ({ leftType: 'mongodb', leftMongoUri: source.uri, rightType: 'mongodb', rightMongoUri: target.uri });

    before(async () => {
      await dropTarget();
      const r = await run('DocferryMigrate', { ...migrateInputs(), all: 'true' });
      passed(r);
    });

    it('all: compares the collection the layout does not name too; without it, the layout\'s only', async () => {
      const withAll = await run('DocferryVerify', { ...verifyInputs(), all: 'true' });
      passed(withAll);
      expect(withAll.outputs.verifyEqual).to.equal('true');
      expect(withAll.summaries[0]).to.include(`| ${db}.extra | 3 | 3 |`).and.include(`| ${db}.users | 2 | 2 |`);

      const without = await run('DocferryVerify', verifyInputs());
      expect(without.summaries[0]).to.include(`| ${db}.users | 2 | 2 |`).and.not.include(`${db}.extra |`);
    });

    it('strict: fails when the left side holds more than the layout', async () => {
      const r = await run('DocferryVerify', { ...verifyInputs(), strict: 'true' });
      expect(r.result, r.stdout).to.equal('Failed');
      expect(r.errors.join('\n')).to.include('the source does not match the layout').and.include(`${db}.extra (3 documents)`);
    });
  });
});
