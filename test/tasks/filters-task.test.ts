import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { buildAzureDevOpsTask } from '../../scripts/build-tasks.js';
import type { Manifest } from '../../src/core/manifest.js';
import { seedCosmos, startCosmosTestServer, type CosmosTestServer } from '../support/cosmos.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';
import { readTaskJson, runAgentTask, type TaskJson } from './support/agent.js';

describe('Azure DevOps task DocferryExport: the query input reaches the engine', function () {
  this.timeout(120_000);
  let source: CosmosTestServer;
  let work: string;
  let bundle: { dir: string; task: TaskJson };
  let layoutFile: string;
  const db = () => `filt_task${source.suffix}`;

  before(async () => {
    work = await tempDir();
    const dir = join(work, 'bundle');
    await buildAzureDevOpsTask('DocferryExport', dir);
    bundle = { dir, task: readTaskJson('DocferryExport') };
    source = await startCosmosTestServer();
    await seedCosmos(source, db(), 'messages', Array.from({ length: 8 }, (_, i) => ({ id: `m${i}`, archive_id: i < 3 ? 'a1' : 'a2' })));
    layoutFile = join(work, 'layout.json');
    await writeFile(layoutFile, JSON.stringify({ databases: [{ name: db(), containers: [{ name: 'messages', partitionKey: { paths: ['/id'] } }] }] }));
  });

  after(async () => {
    await source?.stop();
    await removeTempDirs();
  });

  const run = async (inputs: Record<string, string>) =>
    runAgentTask({ bundleDir: bundle.dir, task: bundle.task, inputs: { sourceType: 'cosmos', cosmosEndpoint: source.endpoint, cosmosKey: source.key, layoutFile, ...inputs }, workDir: await tempDir('docferry-agent-') });

  it('declares query as a multiLine input and queryFile as a plain string (an empty filePath would be the sources directory)', () => {
    const inputs = bundle.task.inputs as { name: string; type: string }[];
    expect(inputs.find((i) => i.name === 'query')?.type).to.equal('multiLine');
    expect(inputs.find((i) => i.name === 'queryFile')?.type).to.equal('string');
  });

  it('exports only the documents the multi-line query matches, and the manifest records it', async () => {
    const query = "SELECT * FROM c\nWHERE c.archive_id = 'a1'";
    const r = await run({ query });
    expect(r.result, r.stdout + r.stderr).to.equal('Succeeded');
    expect(r.outputs).to.include({ documentsRead: '3', documentsWritten: '3' });
    const manifest = JSON.parse(await readFile(join(r.outputs.exportDir!, 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.subset).to.equal(true);
    expect(manifest.filters).to.deep.equal({ [`${db()}.messages`]: [{ query, from: '--query' }] });
  });

  it('a refused filter fails the step, naming the input', async () => {
    const r = await run({ query: 'SELECT c.id FROM c' });
    expect(r.result).to.equal('Failed');
    expect(r.errors.join('\n')).to.include('must select whole documents').and.include('query');
  });
});
