import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { buildAzureDevOpsTask } from '../../scripts/build-tasks.js';
import type { Manifest } from '../../src/core/manifest.js';
import { runCli } from '../support/cli.js';
import { startMongoTestServer, type MongoTestServer } from '../support/ferretdb.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';
import { readTaskJson, runAgentTask, type TaskJson } from './support/agent.js';

// What a pipeline's parallel jobs do: each agent runs the Export task with its own `shard`
// input and one shared `shardPlan`; a final job merges the shard exports into one.
describe('Azure DevOps task DocferryExport: two shard jobs plus manifest merge give the full export (FerretDB)', function () {
  this.timeout(240_000);
  let source: MongoTestServer;
  let work: string;
  let bundle: { dir: string; task: TaskJson };
  let layoutFile: string;
  const db = `shard_task_${Date.now()}`;
  const TOTAL = 57;

  before(async function () {
    this.timeout(600_000);
    work = await tempDir();
    const dir = join(work, 'bundle');
    await buildAzureDevOpsTask('DocferryExport', dir);
    bundle = { dir, task: readTaskJson('DocferryExport') };
    source = await startMongoTestServer();
    const client = new MongoClient(source.uri);
    try {
      await client.db(db).collection<{ _id: string; i: number }>('items').insertMany(Array.from({ length: TOTAL }, (_, i) => ({ _id: `doc-${String(i).padStart(3, '0')}`, i })));
    } finally {
      await client.close();
    }
    layoutFile = join(work, 'layout.json');
    await writeFile(layoutFile, JSON.stringify({ name: 'shard-task', databases: [{ name: db, containers: [{ name: 'items', partitionKey: { paths: ['/id'], kind: 'Hash' } }] }] }));
  });

  after(async () => {
    await source?.stop();
    await removeTempDirs();
  });

  const shardJob = async (shard: string, plan: string, outputDir: string) =>
    runAgentTask({ bundleDir: bundle.dir, task: bundle.task, inputs: { sourceType: 'mongodb', mongoUri: source.uri, layoutFile, shard, shardPlan: plan, outputDir }, workDir: await tempDir('docferry-agent-') });

  it('shard 1/2 and 2/2 are disjoint, the merge holds every document once and verifies equal to the source', async () => {
    const plan = join(work, 'plan.json');
    const dirs = [join(work, 'shard-1'), join(work, 'shard-2')];
    // Sequential like two agents that start at different times: the first writes the plan, the second reads it.
    const first = await shardJob('1/2', plan, dirs[0]!);
    expect(first.result, first.stdout + first.stderr).to.equal('Succeeded');
    const second = await shardJob('2/2', plan, dirs[1]!);
    expect(second.result, second.stdout + second.stderr).to.equal('Succeeded');

    const read = [Number(first.outputs.documentsRead), Number(second.outputs.documentsRead)];
    expect(read[0]! + read[1]!).to.equal(TOTAL);
    // Both shards took a real part: a split that put everything in one shard would pass the sum alone.
    expect(read[0]).to.be.greaterThan(0);
    expect(read[1]).to.be.greaterThan(0);

    const ids = new Set<string>();
    for (const [i, dir] of dirs.entries()) {
      const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest;
      expect(m.shard).to.include({ index: i + 1, count: 2 });
      expect(await readdir(join(dir, db))).to.include(`items.part-${i + 1}-of-2.json`);
      const text = await readFile(join(dir, db, `items.part-${i + 1}-of-2.json`), 'utf8');
      for (const line of text.split('\n').filter((l) => l.length > 0)) {
        const id = (JSON.parse(line) as { _id: string })._id;
        expect(ids.has(id), `${id} in two shards`).to.equal(false);
        ids.add(id);
      }
    }
    expect(ids.size).to.equal(TOTAL);

    const merged = join(work, 'merged');
    const merge = await runCli(['manifest', 'merge', ...dirs, '--out', merged]);
    expect(merge.code, merge.stderr).to.equal(0);
    const verify = await runCli(['verify', '--left-type', 'mongodb', '--left-mongo-uri', source.uri, '--right-type', 'dir', '--right-dir', merged, '--layout', layoutFile, '--quiet']);
    expect(verify.code, verify.stdout + verify.stderr).to.equal(0);
  });

  it('the merge of one shard job alone is refused, naming the missing shard', async () => {
    const plan = join(work, 'plan-alone.json');
    const only = join(work, 'alone-1');
    const r = await shardJob('1/2', plan, only);
    expect(r.result, r.stdout + r.stderr).to.equal('Succeeded');
    const merge = await runCli(['manifest', 'merge', only, '--out', join(work, 'alone-merged')]);
    expect(merge.code).to.not.equal(0);
    expect(merge.stderr).to.match(/2\/2|shard 2/);
  });
});
