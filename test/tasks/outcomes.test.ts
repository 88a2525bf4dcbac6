import { join } from 'node:path';
import { expect } from 'chai';
import { buildAzureDevOpsTask, buildGithubAction } from '../../scripts/build-tasks.js';
import { startMongoTestServer, type MongoTestServer } from '../support/ferretdb.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';
import { readTaskJson, runAgentTask, type TaskJson } from './support/agent.js';
import { runAction } from './support/runner.js';

const PASSWORD = 'Outc0meSecretPw';
/** Refused before the run starts: the host list has an empty entry. */
const BROKEN_URI = `mongodb://bob:${PASSWORD}@127.0.0.1:27017,/`;

/** Output apart from the commands that register secrets for masking (they carry them by design). */
function unmasked(text: string): string {
  return text
    .split('\n')
    .filter((line) => !line.startsWith('##vso[task.setsecret]') && !line.startsWith('::add-mask::'))
    .join('\n');
}

describe('pipeline outcomes: every failure still reports, and warnings are not a plain success', function () {
  this.timeout(180_000);
  let work: string;
  let mongo: MongoTestServer;
  let exportTask: { dir: string; task: TaskJson };
  let actionMain: string;

  before(async () => {
    work = await tempDir();
    const dir = join(work, 'bundles', 'DocferryExport');
    await buildAzureDevOpsTask('DocferryExport', dir);
    exportTask = { dir, task: readTaskJson('DocferryExport') };
    // The committed dist is rebuilt by the lead after merging: these tests run this tree's sources.
    const githubDir = join(work, 'bundles', 'github');
    await buildGithubAction(githubDir);
    actionMain = join(githubDir, 'index.cjs');
    mongo = await startMongoTestServer();
  });

  after(async () => {
    await mongo?.stop();
    await removeTempDirs();
  });

  const agentExport = async (inputs: Record<string, string>) =>
    runAgentTask({ bundleDir: exportTask.dir, task: exportTask.task, inputs: { sourceType: 'mongodb', collections: 'sources', ...inputs }, workDir: await tempDir('docferry-agent-') });
  const actionExport = async (inputs: Record<string, string>) =>
    runAction({ inputs: { command: 'export', 'source-type': 'mongodb', collections: 'sources', ...inputs }, workDir: await tempDir('docferry-runner-'), main: actionMain });

  describe('Azure DevOps', () => {
    it('a failure before the run starts sets zero counts and the failure as output variables, and attaches a summary', async () => {
      const r = await agentExport({ mongoUri: BROKEN_URI });
      expect(r.result, r.stdout).to.equal('Failed');
      expect(r.outputs).to.include({ documentsRead: '0', documentsWritten: '0', documentsSkipped: '0', documentsRejected: '0' });
      expect(r.outputs.failure).to.include('has an empty entry as host 2 of 2');
      expect(r.summaries).to.have.length(1);
      expect(r.summaries[0]).to.include('❌').and.to.include('has an empty entry as host 2 of 2');
      expect(unmasked(r.stdout + r.stderr + r.summaries.join(''))).not.to.include(PASSWORD);
    });

    it('so does a failure in reading the inputs: a layout file that does not exist', async () => {
      const r = await agentExport({ mongoUri: mongo.uri, layoutFile: join(work, 'no-such-layout.json') });
      expect(r.result, r.stdout).to.equal('Failed');
      expect(r.outputs).to.include({ documentsRead: '0', documentsWritten: '0', documentsSkipped: '0', documentsRejected: '0' });
      expect(r.outputs.failure).to.include('no-such-layout.json');
      expect(r.summaries).to.have.length(1);
    });

    it('an export of a collection the server does not have ends SucceededWithIssues, with the warning in the result', async () => {
      const r = await agentExport({ mongoUri: mongo.uri });
      expect(r.result, r.stdout).to.equal('SucceededWithIssues');
      expect(r.resultMessage).to.include('does not exist on the server');
      expect(r.outputs).to.include({ documentsRead: '0' });
      expect(r.summaries[0]).to.include('⚠️');
    });

    it('connectTimeout bounds how long an unreachable MongoDB is tried', async () => {
      const t0 = Date.now();
      const r = await agentExport({ mongoUri: 'mongodb://127.0.0.1:1/', connectTimeout: '1s' });
      expect(r.result, r.stdout).to.equal('Failed');
      expect(Date.now() - t0, 'the default would be 30 s').to.be.below(20_000);
      expect(r.resultMessage).to.include('tried 127.0.0.1:1 for 1 s');
      expect(r.outputs).to.include({ documentsRead: '0' });
    });

    it('failOnWarnings makes the same warnings fail the step', async () => {
      const r = await agentExport({ mongoUri: mongo.uri, failOnWarnings: 'true' });
      expect(r.result, r.stdout).to.equal('Failed');
      expect(r.resultMessage).to.include('failOnWarnings is set');
      expect(r.code).to.equal(1);
    });
  });

  describe('GitHub Action', () => {
    it('a failure before the run starts sets zero counts and the failure as outputs, and writes the job summary', async () => {
      const r = await actionExport({ 'mongo-uri': BROKEN_URI });
      expect(r.code).to.equal(1);
      expect(r.outputs).to.include({ 'documents-read': '0', 'documents-written': '0', 'documents-skipped': '0', 'documents-rejected': '0' });
      expect(r.outputs.failure).to.include('has an empty entry as host 2 of 2');
      expect(r.summary).to.include('❌');
      expect(unmasked(r.stdout + r.stderr + r.summary)).not.to.include(PASSWORD);
    });

    it('so does a failure in reading the inputs: a layout file that does not exist', async () => {
      const r = await actionExport({ 'mongo-uri': mongo.uri, 'layout-file': join(work, 'no-such-layout.json') });
      expect(r.code).to.equal(1);
      expect(r.outputs).to.include({ 'documents-read': '0', 'documents-written': '0', 'documents-skipped': '0', 'documents-rejected': '0' });
      expect(r.outputs.failure).to.include('no-such-layout.json');
      expect(r.summary).to.include('❌');
    });

    it('warnings are ::warning:: annotations and the step succeeds; fail-on-warnings fails it', async () => {
      const warned = await actionExport({ 'mongo-uri': mongo.uri });
      expect(warned.code, warned.stdout).to.equal(0);
      expect(warned.warnings.some((w) => w.includes('does not exist on the server'))).to.equal(true);
      expect(warned.summary).to.include('⚠️');
      const failed = await actionExport({ 'mongo-uri': mongo.uri, 'fail-on-warnings': 'true' });
      expect(failed.code).to.equal(1);
      expect(failed.errors.some((e) => e.includes('fail-on-warnings is set'))).to.equal(true);
    });
  });
});
