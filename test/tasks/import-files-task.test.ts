import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { buildAzureDevOpsTask } from '../../scripts/build-tasks.js';
import { readAllCosmos, startCosmosTestServer, type CosmosTestServer } from '../support/cosmos.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';
import { readTaskJson, runAgentTask, type TaskJson } from './support/agent.js';

/**
 * The DocferryImport task's files, to and jsonFormat inputs (files from other tools, docs/cli.md
 * "Importing files from other tools") reach the engine: the bundled task, run as the agent runs it.
 */
describe('Azure DevOps task DocferryImport: files from other tools (files, to, jsonFormat)', function () {
  this.timeout(180_000);
  let cosmos: CosmosTestServer;
  let work: string;
  let bundle: { dir: string; task: TaskJson };
  let dump: string;
  let n = 0;
  const db = () => `files_task${cosmos.suffix}`;

  before(async () => {
    work = await tempDir();
    const dir = join(work, 'bundle');
    await buildAzureDevOpsTask('DocferryImport', dir);
    bundle = { dir, task: readTaskJson('DocferryImport') };
    cosmos = await startCosmosTestServer();
    dump = join(work, 'dump');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(dump, { recursive: true });
    // mongoexport lines (relaxed), a JSON array of another tool's, and plain JSON lines with no wrapper.
    await writeFile(join(dump, 'users.json'), ['{"_id":{"$oid":"65a000000000000000000001"},"name":"u1"}', '{"_id":{"$oid":"65a000000000000000000002"},"name":"u2"}'].join('\n') + '\n');
    await writeFile(join(dump, 'orders.json'), '[\n  {"_id": {"$oid": "65a0000000000000000000a1"}, "total": 1.5, "at": {"$date": "2024-01-01T00:00:00Z"}},\n  {"_id": {"$oid": "65a0000000000000000000a2"}, "total": 2}\n]\n');
    await writeFile(join(dump, 'items.ndjson'), '{"id":"i1","n":1}\n{"id":"i2","n":2}\n{"id":"i3","n":3}\n');
  });

  after(async () => {
    await cosmos?.stop();
    await removeTempDirs();
  });

  const run = async (inputs: Record<string, string>) =>
    runAgentTask({
      bundleDir: bundle.dir,
      task: bundle.task,
      inputs: { destType: 'cosmos', cosmosEndpoint: cosmos.endpoint, cosmosKey: cosmos.key, exportDir: dump, checkpointDir: join(work, `cp-${++n}`), ...inputs },
      workDir: await tempDir('docferry-agent-'),
    });

  it('imports each file (lines and a JSON array) into the collection on the same line of "to"', async () => {
    const r = await run({ files: 'users.json\norders.json', to: `${db()}.users\n${db()}.orders` });
    // The "no manifest" warning makes it SucceededWithIssues, as any warning does.
    expect(r.result, r.stdout + r.stderr).to.equal('SucceededWithIssues');
    expect(r.outputs).to.include({ documentsRead: '4', documentsWritten: '4' });
    // Each warning once, in the task's terms: the summary's warnings are the ones already logged.
    const verdict = r.warnings[r.warnings.length - 1]!;
    expect(verdict).to.match(/: 2 warnings: /);
    expect(verdict).not.to.include('--files');
    expect(r.warnings.join('\n')).to.include('came without a docferry manifest: nothing could be checked against one');
    expect((await readAllCosmos(cosmos, db(), 'users')).map((d) => d.name)).to.deep.equal(['u1', 'u2']);
    expect((await readAllCosmos(cosmos, db(), 'orders')).map((d) => d.total)).to.deep.equal([1.5, 2]);
  });

  it('jsonFormat plain imports a file without wrappers, which auto refuses to guess', async () => {
    const auto = await run({ files: 'items.ndjson', to: `${db()}.items` });
    expect(auto.result).to.equal('Failed');
    expect(auto.errors.join('\n')).to.include('Cannot tell the JSON format of items.ndjson').and.include('"jsonFormat"');
    const plain = await run({ files: 'items.ndjson', to: `${db()}.items`, jsonFormat: 'plain' });
    expect(plain.result, plain.stdout + plain.stderr).to.equal('SucceededWithIssues');
    expect((await readAllCosmos(cosmos, db(), 'items')).map((d) => d.n)).to.deep.equal([1, 2, 3]);
  });

  it('files without a target on the same line fail the step, naming both inputs', async () => {
    const r = await run({ files: 'users.json\norders.json', to: `${db()}.users` });
    expect(r.result).to.equal('Failed');
    expect(r.errors.join('\n')).to.include('"files" and "to" go in pairs');
  });
});
