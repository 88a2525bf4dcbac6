import { join } from 'node:path';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { buildAzureDevOpsTask, buildGithubAction } from '../../scripts/build-tasks.js';
import { generateDocuments } from '../../src/synthetic/copilot.js';
import { startMongoTestServer, type MongoTestServer } from '../support/ferretdb.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';
import { filesUnder, fuzzPasswords, fuzzUris, leakedPieces, type FuzzUri } from '../support/uri-fuzz.js';
import { readTaskJson, runAgentTask, type AgentResult, type TaskJson } from './support/agent.js';
import { runAction, type RunnerResult } from './support/runner.js';

type TaskName = 'DocferryExport' | 'DocferryImport' | 'DocferryMigrate' | 'DocferryVerify';

/**
 * Issue 14, items 1 and 11: in the Azure DevOps tasks and the GitHub Action, a MongoDB URI's
 * password is masked whole (as the user gave it), nothing the step prints or writes holds it,
 * and a URI without a password is shown, so the log names the server.
 */
describe('Tasks and Action: MongoDB passwords in malformed URIs never leak; a URI without one is shown', function () {
  this.timeout(300_000);
  let mongo: MongoTestServer;
  let work: string;
  let exportDir: string;
  let actionMain: string;
  const bundles = {} as Record<TaskName, { dir: string; task: TaskJson }>;
  // Other passwords than the CLI test's, from the same shapes.
  const cases = fuzzUris(fuzzPasswords(20, 1411));

  before(async () => {
    work = await tempDir('docferry-task-fuzz-');
    await Promise.all(
      (['DocferryExport', 'DocferryImport', 'DocferryMigrate', 'DocferryVerify'] as const).map(async (name) => {
        const dir = join(work, 'bundles', name);
        await buildAzureDevOpsTask(name, dir);
        bundles[name] = { dir, task: readTaskJson(name) };
      }),
    );
    actionMain = (await buildGithubAction(join(work, 'action'))).outfile;
    mongo = await startMongoTestServer();
    const client = new MongoClient(mongo.uri);
    await client.db('copilot').collection('sources').insertMany([...generateDocuments('sources', 3, { seed: 14, flavor: 'mongodb' })] as never[]);
    await client.close();
  });
  after(async () => {
    await mongo?.stop();
    await removeTempDirs();
  });

  const agent = async (name: TaskName, inputs: Record<string, string>, workDir: string) => runAgentTask({ bundleDir: bundles[name].dir, task: bundles[name].task, inputs, workDir });

  /** Everything the step leaves: output lines except the mask commands themselves, outputs, summaries, files. */
  async function agentTexts(r: AgentResult, workDir: string): Promise<{ path: string; text: string }[]> {
    const stdout = r.stdout.split('\n').filter((l) => !l.includes('##vso[task.setsecret]')).join('\n');
    return [{ path: 'stdout', text: stdout }, { path: 'stderr', text: r.stderr }, { path: 'outputs', text: JSON.stringify(r.outputs) }, ...r.summaries.map((text) => ({ path: 'summary', text })), ...(await filesUnder(workDir))];
  }

  function expectClean(c: FuzzUri, texts: { path: string; text: string }[], what: string): void {
    for (const t of texts) expect(leakedPieces(c.password, t.text), `${what} ${c.uri}: ${t.path} holds\n${t.text}`).to.deep.equal([]);
  }

  it('DocferryExport: the password is masked whole, and the step fails without showing it', async () => {
    for (const [i, c] of cases.entries()) {
      const workDir = await tempDir(`docferry-agent-fuzz-${i}-`);
      const r = await agent('DocferryExport', { sourceType: 'mongodb', mongoUri: c.uri, collections: 'sources' }, workDir);
      expect(r.result, `${c.uri}\n${r.stdout}`).to.equal('Failed');
      expect(r.secrets, c.uri).to.include(c.secret);
      expectClean(c, await agentTexts(r, workDir), 'DocferryExport');
    }
  });

  it('DocferryImport, DocferryMigrate (both sides) and DocferryVerify: the same', async () => {
    const setup = await tempDir('docferry-agent-export-');
    const exported = await agent('DocferryExport', { sourceType: 'mongodb', mongoUri: mongo.uri, collections: 'sources', outputDir: join(setup, 'export') }, setup);
    expect(exported.result, exported.stdout).to.equal('Succeeded');
    exportDir = join(setup, 'export');
    const runs: [TaskName, (c: FuzzUri) => Record<string, string>][] = [
      ['DocferryImport', (c) => ({ destType: 'mongodb', mongoUri: c.uri, exportDir, collections: 'sources' })],
      ['DocferryMigrate', (c) => ({ fromType: 'mongodb', fromMongoUri: c.uri, toType: 'mongodb', toMongoUri: mongo.uri, collections: 'sources' })],
      ['DocferryMigrate', (c) => ({ fromType: 'mongodb', fromMongoUri: mongo.uri, toType: 'mongodb', toMongoUri: c.uri, collections: 'sources' })],
      ['DocferryVerify', (c) => ({ leftType: 'mongodb', leftMongoUri: c.uri, rightType: 'dir', rightDir: exportDir, collections: 'sources' })],
    ];
    for (const [k, [name, inputs]] of runs.entries()) {
      for (const c of cases.filter((_, i) => i % runs.length === k)) {
        const workDir = await tempDir('docferry-agent-fuzz-');
        const r = await agent(name, inputs(c), workDir);
        expect(r.result, `${name} ${c.uri}\n${r.stdout}`).to.equal('Failed');
        expect(r.secrets, `${name} ${c.uri}`).to.include(c.secret);
        expectClean(c, await agentTexts(r, workDir), name);
      }
    }
  });

  it('GitHub Action: ::add-mask:: gets the whole password, ::error:: and the summary never show it', async () => {
    for (const c of cases.filter((_, i) => i % 2 === 0)) {
      const workDir = await tempDir('docferry-runner-fuzz-');
      const r: RunnerResult = await runAction({ inputs: { command: 'export', 'source-type': 'mongodb', 'mongo-uri': c.uri, collections: 'sources' }, workDir, main: actionMain });
      expect(r.code, `${c.uri}\n${r.stdout}`).to.not.equal(0);
      expect(r.masks, c.uri).to.include(c.secret);
      const stdout = r.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n');
      expectClean(c, [{ path: 'stdout', text: stdout }, { path: 'stderr', text: r.stderr }, { path: 'summary', text: r.summary }, { path: 'outputs', text: JSON.stringify(r.outputs) }, ...(await filesUnder(workDir))], 'action export');
    }
  });

  it('a URI without a password is not masked: the log names the server', async () => {
    const workDir = await tempDir('docferry-agent-plain-');
    const hostPort = /^mongodb:\/\/([^/]+)/.exec(mongo.uri)![1]!;
    const r = await agent('DocferryExport', { sourceType: 'mongodb', mongoUri: mongo.uri, collections: 'sources' }, workDir);
    expect(r.result, r.stdout).to.equal('Succeeded');
    expect(r.secrets).to.not.include(mongo.uri);
    expect(r.stdout).to.not.include('<redacted>');
    expect(r.resultMessage).to.include(hostPort);
    expect(r.summaries.join('\n')).to.include(`mongodb://${hostPort}`);
    // Issue 14, item 12: an export has no write mode, so its summary names none.
    expect(r.summaries.join('\n')).to.not.include('(mode');
    // With a password, only the password goes: the server stays in the log.
    const withPassword = await agent('DocferryExport', { sourceType: 'mongodb', mongoUri: `mongodb://bob:Pa@ss!Leak1@${hostPort}/`, collections: 'sources' }, await tempDir('docferry-agent-pw-'));
    expect(withPassword.secrets).to.include('Pa@ss!Leak1').and.to.not.include('Pa');
    expect(withPassword.errors.join('\n')).to.include(`mongodb://<redacted>@${hostPort}/`).and.to.not.include('Leak1');
  });
});
