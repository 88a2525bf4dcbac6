import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { expect } from 'chai';
import { buildAzureDevOpsTask } from '../../scripts/build-tasks.js';
import type { Manifest } from '../../src/core/manifest.js';
import { generateDocuments } from '../../src/synthetic/copilot.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import { readAllCosmos, seedCosmos, startCosmosTestServer, testLayout, type CosmosTestServer } from '../support/cosmos.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';
import { readTaskJson, runAgentTask, type AgentResult, type TaskJson } from './support/agent.js';

const COUNTS = { messages: 30, threads: 20, user_roles: 3 };

describe('Azure DevOps tasks: DocferryExport and DocferryImport, bundled, run as the agent runs them', function () {
  this.timeout(120_000);
  let source: CosmosTestServer;
  let target: CosmosTestServer;
  let work: string;
  let layoutFile: string;
  const bundles: Record<string, { dir: string; task: TaskJson }> = {};

  const db = (name: string) => `${name}${source.suffix}`;

  async function run(name: 'DocferryExport' | 'DocferryImport', inputs: Record<string, string>, extra: { systemDebug?: boolean; workDir?: string } = {}): Promise<AgentResult> {
    const b = bundles[name]!;
    return runAgentTask({ bundleDir: b.dir, task: b.task, inputs, workDir: extra.workDir ?? (await tempDir('docferry-agent-')), ...(extra.systemDebug ? { systemDebug: true } : {}) });
  }

  before(async () => {
    work = await tempDir();
    for (const name of ['DocferryExport', 'DocferryImport']) {
      const dir = join(work, 'bundles', name);
      await buildAzureDevOpsTask(name, dir);
      bundles[name] = { dir, task: readTaskJson(name) };
    }
    source = await startCosmosTestServer();
    target = await startCosmosTestServer();
    await seedCosmos(source, db('copilot'), 'messages', generateDocuments('messages', COUNTS.messages, { seed: 11 }));
    await seedCosmos(source, db('copilot'), 'threads', generateDocuments('threads', COUNTS.threads, { seed: 11 }));
    await seedCosmos(source, db('auth'), 'user_roles', generateDocuments('user_roles', COUNTS.user_roles, { seed: 11 }));
    layoutFile = join(work, 'layout.json');
    await writeFile(layoutFile, JSON.stringify(testLayout(source)));
  });

  after(async () => {
    await source?.stop();
    await target?.stop();
    await removeTempDirs();
  });

  describe('export then import with an account key', () => {
    let exported: AgentResult;
    let exportDir: string;

    before(async () => {
      exported = await run(
        'DocferryExport',
        { sourceType: 'cosmos', cosmosEndpoint: source.endpoint, cosmosKey: source.key, layoutFile, collections: 'messages,threads,user_roles' },
        { systemDebug: true },
      );
      exportDir = exported.outputs.exportDir!;
    });

    it('succeeds and sets the count and exportDir output variables', () => {
      expect(exported.result, exported.stdout + exported.stderr).to.equal('Succeeded');
      expect(exported.code).to.equal(0);
      expect(exported.outputs).to.include({ documentsRead: '53', documentsWritten: '53', documentsSkipped: '0', documentsRejected: '0' });
      // Issue 14, item 2: the default is the agent's temp directory, which no publish step uploads
      // and the agent empties after the job; not the staging directory (<work>/a), which they upload.
      expect(exportDir).to.match(/[\\/]_temp[\\/]data-export-\d{8}T\d{6}$/);
      expect(exported.warnings).to.deep.equal([]);
    });

    it('writes a complete export directory with a manifest', async () => {
      const manifest = JSON.parse(await readFile(join(exportDir, 'manifest.json'), 'utf8')) as Manifest;
      expect(manifest.status).to.equal('complete');
      expect(manifest.document_counts).to.deep.equal({ [`${db('copilot')}.messages`]: 30, [`${db('copilot')}.threads`]: 20, [`${db('auth')}.user_roles`]: 3 });
    });

    it('reports progress through ##vso[task.setprogress], ending at 100', () => {
      expect(exported.progress.length).to.be.greaterThan(0);
      expect(exported.progress).to.deep.equal([...exported.progress].sort((a, b) => a - b));
      expect(exported.progress.at(-1)).to.equal(100);
    });

    it('attaches a markdown summary with a row of counts per collection', () => {
      expect(exported.summaries).to.have.length(1);
      const md = exported.summaries[0]!;
      expect(md).to.include('| Collection | Read | Written | Skipped | Rejected |');
      expect(md).to.match(new RegExp(`\\| ${db('copilot')}\\.messages \\| 30 \\| 30 \\| 0 \\| 0 \\|`));
      expect(md).to.match(new RegExp(`\\| ${db('auth')}\\.user_roles \\| 3 \\| 3 \\| 0 \\| 0 \\|`));
      expect(md).to.include('| **Total** | **53** | **53** | **0** | **0** |');
    });

    it('adds the run\'s Mermaid charts to the summary and attaches the self-contained HTML report (issue 19)', async () => {
      const md = exported.summaries[0]!;
      expect(md).to.include('### Documents per second, per collection').and.include('```mermaid\nxychart-beta');
      const attachments = exported.commands.filter((c) => c.command === 'task.addattachment');
      expect(attachments.map((c) => c.properties.type)).to.deep.equal(['docferry.report']);
      const html = await readFile(attachments[0]!.message, 'utf8');
      expect(html).to.include('<svg class="chart"').and.include(`${db('copilot')}.messages`);
      expect(html).to.not.include(source.key);
    });

    it('masks the key with ##vso[task.setsecret] before anything else and never prints it, even with System.Debug', () => {
      expect(exported.secrets).to.include(source.key);
      const lines = exported.stdout.split('\n');
      const firstMention = lines.findIndex((l) => l.includes(source.key));
      expect(lines[firstMention]).to.equal(`##vso[task.setsecret]${source.key}`);
      const elsewhere = lines.filter((l) => l.includes(source.key) && !l.startsWith('##vso[task.setsecret]'));
      expect(elsewhere).to.deep.equal([]);
      expect(exported.stderr).to.not.include(source.key);
      // System.Debug really was on: task-lib's debug lines for plain inputs are there.
      expect(exported.commands.some((c) => c.command === 'task.debug' && c.message.startsWith('sourceType='))).to.equal(true);
    });

    it('imports the export into another account: every document arrives', async () => {
      const imported = await run('DocferryImport', { destType: 'cosmos', cosmosEndpoint: target.endpoint, cosmosKey: target.key, layoutFile, exportDir });
      expect(imported.result, imported.stdout).to.equal('Succeeded');
      expect(imported.outputs).to.include({ documentsRead: '53', documentsWritten: '53', documentsRejected: '0', exportDir });
      for (const [database, coll] of [[db('copilot'), 'messages'], [db('copilot'), 'threads'], [db('auth'), 'user_roles']] as const) {
        expect(await readAllCosmos(target, database, coll)).to.deep.equal(await readAllCosmos(source, database, coll));
      }
      expect(imported.summaries[0]).to.include('mode upsert');
    });

    it('merge mode counts documents already there as skipped', async () => {
      const merged = await run('DocferryImport', { destType: 'cosmos', cosmosEndpoint: target.endpoint, cosmosKey: target.key, layoutFile, exportDir, mode: 'merge', collections: 'threads' });
      expect(merged.result).to.equal('Succeeded');
      expect(merged.outputs).to.include({ documentsRead: '20', documentsWritten: '0', documentsSkipped: '20' });
    });

    it('the map input (one rule a line) reaches the engine: the documents go to the renamed database and collection, the summary names both', async () => {
      const staging = `${db('copilot')}_staging`;
      const map = `${db('copilot')}.*=${staging}.*\n${db('auth')}.user_roles=${db('auth')}.roles`;
      const imported = await run('DocferryImport', { destType: 'cosmos', cosmosEndpoint: target.endpoint, cosmosKey: target.key, layoutFile, exportDir, map, verify: 'true' });
      expect(imported.result, imported.stdout).to.equal('Succeeded');
      expect(imported.outputs).to.include({ documentsWritten: '53' });
      expect(await readAllCosmos(target, staging, 'messages')).to.deep.equal(await readAllCosmos(source, db('copilot'), 'messages'));
      expect(await readAllCosmos(target, db('auth'), 'roles')).to.deep.equal(await readAllCosmos(source, db('auth'), 'user_roles'));
      expect(imported.summaries[0]).to.match(new RegExp(`\\| ${db('copilot')}\\.messages -> ${staging}\\.messages \\| 30 \\| 30 \\|`));
      // The verify that followed compared the renamed collections.
      expect(imported.summaries[0]).to.match(new RegExp(`\\| ${db('copilot')}\\.messages -> ${staging}\\.messages \\| 30 \\| 30 \\| 0 \\| 0 \\| 0 \\| yes \\|`));

      const wrong = await run('DocferryImport', { destType: 'cosmos', cosmosEndpoint: target.endpoint, cosmosKey: target.key, layoutFile, exportDir, map: `${db('copilot')}.nothing=${staging}.x` });
      expect(wrong.result).to.equal('Failed');
      expect(wrong.stdout).to.include(`"${db('copilot')}.nothing=${staging}.x" matches no collection of the export`);
    });
  });

  describe('personal data kept out of the artifact staging directory (issue 14, item 2)', () => {
    const warningAbout = (input: string) => `Input "${input}" (`;
    // The step's verdict repeats its warnings in one more line; these are the tasks' own.
    const pathWarnings = (r: AgentResult) => r.warnings.filter((w) => w.startsWith('Input "'));

    it('warns, and succeeds with issues, when outputDir is inside Build.ArtifactStagingDirectory', async () => {
      const workDir = await tempDir('docferry-agent-');
      const outputDir = join(workDir, 'a', 'export');
      const r = await run('DocferryExport', { sourceType: 'cosmos', cosmosEndpoint: source.endpoint, cosmosKey: source.key, layoutFile, collections: 'user_roles', outputDir }, { workDir });
      expect(r.result, r.stdout).to.equal('SucceededWithIssues');
      expect(r.outputs).to.include({ documentsWritten: '3', exportDir: outputDir });
      expect(pathWarnings(r)).to.have.length(1);
      expect(pathWarnings(r)[0]).to.include(warningAbout('outputDir')).and.include(`inside Build.ArtifactStagingDirectory (${join(workDir, 'a')})`).and.include('personal data');
    });

    it('says nothing of an outputDir beside the staging directory whose name starts the same', async () => {
      const workDir = await tempDir('docferry-agent-');
      const outputDir = join(workDir, 'a-export');
      const r = await run('DocferryExport', { sourceType: 'cosmos', cosmosEndpoint: source.endpoint, cosmosKey: source.key, layoutFile, collections: 'user_roles', outputDir }, { workDir });
      expect(r.result, r.stdout).to.equal('Succeeded');
      expect(r.warnings).to.deep.equal([]);
    });

    it('warns of a reportFile inside the staging directory, and defaults the report to the temp directory', async () => {
      const workDir = await tempDir('docferry-agent-');
      const reportFile = join(workDir, 'a', 'verify.ndjson');
      const inStaging = await run('DocferryExport', { sourceType: 'cosmos', cosmosEndpoint: source.endpoint, cosmosKey: source.key, layoutFile, collections: 'user_roles', outputDir: join(workDir, 'e1'), verify: 'true', reportFile }, { workDir });
      expect(inStaging.result, inStaging.stdout).to.equal('SucceededWithIssues');
      expect(pathWarnings(inStaging).map((w) => w.slice(0, warningAbout('reportFile').length))).to.deep.equal([warningAbout('reportFile')]);
      const byDefault = await run('DocferryExport', { sourceType: 'cosmos', cosmosEndpoint: source.endpoint, cosmosKey: source.key, layoutFile, collections: 'user_roles', outputDir: join(workDir, 'e2'), verify: 'true' }, { workDir });
      expect(byDefault.result, byDefault.stdout).to.equal('Succeeded');
      expect(dirname(byDefault.outputs.reportFile!)).to.equal(join(workDir, '_temp'));
    });

    it('warns when an import writes its rejects inside the staging directory; failOnWarnings fails the step', async () => {
      const workDir = await tempDir('docferry-agent-');
      const exportDir = join(workDir, 'export');
      const exported = await run('DocferryExport', { sourceType: 'cosmos', cosmosEndpoint: source.endpoint, cosmosKey: source.key, layoutFile, collections: 'user_roles', outputDir: exportDir }, { workDir });
      expect(exported.result, exported.stdout).to.equal('Succeeded');
      const inputs = { destType: 'cosmos', cosmosEndpoint: target.endpoint, cosmosKey: target.key, layoutFile, exportDir, collections: 'user_roles', rejectsDir: join(workDir, 'a', 'rejects') };
      const imported = await run('DocferryImport', inputs, { workDir });
      expect(imported.result, imported.stdout).to.equal('SucceededWithIssues');
      expect(pathWarnings(imported)).to.have.length(1);
      expect(pathWarnings(imported)[0]).to.include(warningAbout('rejectsDir'));
      const strict = await run('DocferryImport', { ...inputs, failOnWarnings: 'true' }, { workDir });
      expect(strict.result, strict.stdout).to.equal('Failed');
    });
  });

  describe('verify and the RU budget inputs', () => {
    it('export with verify: re-reads the export, compares it with the source, and reports the file', async () => {
      const outputDir = join(work, 'verified-export');
      const r = await run('DocferryExport', { sourceType: 'cosmos', cosmosEndpoint: source.endpoint, cosmosKey: source.key, layoutFile, collections: 'user_roles', outputDir, verify: 'true', reportFile: join(work, 'export-verify.ndjson') });
      expect(r.result, r.stdout).to.equal('Succeeded');
      expect(r.outputs).to.include({ documentsWritten: '3', exportDir: outputDir, reportFile: join(work, 'export-verify.ndjson') });
      expect(r.summaries[0]).to.include('### Verification').and.include(`| ${db('auth')}.user_roles | 3 | 3 | 0 | 0 | 0 | yes |`);
    });

    it('refuses an RU share outside (0, 1] before touching anything', async () => {
      const r = await run('DocferryExport', { sourceType: 'cosmos', cosmosEndpoint: source.endpoint, cosmosKey: source.key, layoutFile, ruShare: '150%', outputDir: join(work, 'never-written') });
      expect(r.result).to.equal('Failed');
      expect(r.errors[0]).to.equal('Input "ruShare" takes a share between 0 and 1, such as 0.5 or 50%, not "150%".');
    });
  });

  describe('the batchBytes input (issue 13: it was a CLI flag only)', () => {
    let messagesExport: string;

    before(async () => {
      messagesExport = join(work, 'messages-export');
      const r = await run('DocferryExport', { sourceType: 'cosmos', cosmosEndpoint: source.endpoint, cosmosKey: source.key, layoutFile, collections: 'messages', outputDir: messagesExport });
      expect(r.result, r.stdout).to.equal('Succeeded');
    });

    /** Imports the 30 messages through a counting proxy; returns the bulk requests the sink sent. */
    async function importThroughProxy(extra: Record<string, string>): Promise<number> {
      const proxy = await startFaultProxy(target.endpoint);
      try {
        const r = await run('DocferryImport', { destType: 'cosmos', cosmosEndpoint: proxy.endpoint, cosmosKey: target.key, layoutFile, exportDir: messagesExport, collections: 'messages', ...extra });
        expect(r.result, r.stdout).to.equal('Succeeded');
        expect(r.outputs).to.include({ documentsWritten: '30' });
        return proxy.requests.filter((q) => q.isBatch).length;
      } finally {
        await proxy.stop();
      }
    }

    it('reaches the sink: batches end at that size, so 30 messages go in many small bulk requests', async () => {
      const whole = await importThroughProxy({});
      const small = await importThroughProxy({ batchBytes: '2KB' });
      // Default bounds (500 documents, 2MB): the 30 messages fit one batch.
      expect(whole).to.be.at.most(2);
      expect(small).to.be.at.least(5);
    });

    it('refuses a size it cannot read, naming the input', async () => {
      const r = await run('DocferryImport', { destType: 'cosmos', cosmosEndpoint: target.endpoint, cosmosKey: target.key, layoutFile, exportDir: messagesExport, batchBytes: 'lots' });
      expect(r.result).to.equal('Failed');
      expect(r.errors[0]).to.equal('Input "batchBytes" takes a size such as 2MB, 512KB or a number of bytes, not "lots".');
    });
  });

  describe('rejected documents', () => {
    let rejectsExport: string;

    before(async () => {
      rejectsExport = join(work, 'with-bad-lines');
      const database = db('copilot');
      const docs = [...generateDocuments('threads', 4, { seed: 5 })].map((d) => JSON.stringify(d));
      const lines = [docs[0]!, '{"id": "broken", ', docs[1]!, JSON.stringify({ id: 'has/slash' }), docs[2]!, docs[3]!];
      await mkdir(join(rejectsExport, database), { recursive: true });
      await writeFile(join(rejectsExport, database, 'threads.json'), `${lines.join('\n')}\n`);
      await writeFile(
        join(rejectsExport, 'manifest.json'),
        JSON.stringify({ exported_at: '2026-02-12T17:00:00Z', source_type: 'cosmos', databases: { [database]: ['threads'] }, document_counts: { [`${database}.threads`]: lines.length } }),
      );
    });

    it('fails the step when documents are rejected and allowedRejects is 0, with the counts still set', async () => {
      const r = await run('DocferryImport', { destType: 'cosmos', cosmosEndpoint: target.endpoint, cosmosKey: target.key, layoutFile, exportDir: rejectsExport, rejectsDir: join(work, 'rejects-0') });
      expect(r.result).to.equal('Failed');
      expect(r.code).to.equal(1);
      expect(r.outputs).to.include({ documentsRead: '6', documentsWritten: '4', documentsRejected: '2' });
      expect(r.errors).to.have.length(1);
      expect(r.errors[0], r.errors[0]).to.include("2 documents rejected").and.include("allowedRejects is 0").and.include(join(work, "rejects-0"));
      expect(r.summaries[0]).to.include('| **Total** | **6** | **4** | **0** | **2** |');
      // The original scripts' manifest (no checksums) is imported with a warning.
      expect(r.warnings.join('\n')).to.include('original export scripts');
    });

    it('succeeds with issues when the rejects are within allowedRejects', async () => {
      const r = await run('DocferryImport', { destType: 'cosmos', cosmosEndpoint: target.endpoint, cosmosKey: target.key, layoutFile, exportDir: rejectsExport, allowedRejects: '2', rejectsDir: join(work, 'rejects-2') });
      expect(r.result).to.equal('SucceededWithIssues');
      expect(r.code).to.equal(0);
      expect(r.resultMessage).to.include('2 documents rejected').and.include('within allowedRejects (2)');
      expect(r.errors).to.deep.equal([]);
    });
  });

  describe('errors', () => {
    it('turns the engine\'s refusal of an export directory into an error issue with its message', async () => {
      const r = await run('DocferryImport', { destType: 'cosmos', cosmosEndpoint: target.endpoint, cosmosKey: target.key, layoutFile, exportDir: join(work, 'does-not-exist') });
      expect(r.result).to.equal('Failed');
      expect(r.code).to.equal(1);
      expect(r.errors).to.have.length(1);
      expect(r.errors[0]).to.include('does not exist').and.include('manifest.json');
      // A failure before the run still reports (issue 14): zero counts, the failure, and the summary page.
      expect(r.outputs).to.include({ documentsRead: '0', documentsWritten: '0' });
      expect(r.outputs.failure).to.include('does not exist');
      expect(r.summaries).to.have.length(1);
      expect(r.summaries[0]).to.include('does not exist');
    });

    it('names the task input, not the CLI flag, in the engine\'s refusal (allowPartial, not --allow-partial)', async () => {
      // The original scripts' manifest naming a file that is not there: refused, and allowPartial would import the rest.
      const broken = join(work, 'broken-export');
      await mkdir(broken, { recursive: true });
      await writeFile(join(broken, 'manifest.json'), JSON.stringify({ databases: { copilot: ['sources'] }, document_counts: { 'copilot.sources': 5 } }));
      const r = await run('DocferryImport', { destType: 'cosmos', cosmosEndpoint: target.endpoint, cosmosKey: target.key, layoutFile, exportDir: broken });
      expect(r.result).to.equal('Failed');
      expect(r.errors[0]).to.include('Pass "allowPartial" to import anyway').and.not.include('--allow-partial');
    });

    it('names the input to fix when no credential is given', async () => {
      const r = await run('DocferryExport', { sourceType: 'cosmos', cosmosEndpoint: source.endpoint, layoutFile });
      expect(r.result).to.equal('Failed');
      expect(r.errors[0]).to.include('"cosmosKey"').and.include('"azureSubscription"');
    });

    it('masks a MongoDB password on its own and keeps it out of the failure message', async () => {
      const password = 'S3cr3t%2FP4ss-word';
      const r = await run('DocferryExport', { sourceType: 'mongodb', mongoUri: `mongodb://migrator:${password}@127.0.0.1:9/?serverSelectionTimeoutMS=300`, layoutFile, collections: 'user_roles', outputDir: join(work, 'mongo-unreachable') });
      expect(r.result).to.equal('Failed');
      expect(r.secrets).to.include.members([password, 'S3cr3t/P4ss-word']);
      const leaks = r.stdout.split('\n').filter((l) => (l.includes(password) || l.includes('S3cr3t/P4ss-word')) && !l.startsWith('##vso[task.setsecret]'));
      expect(leaks).to.deep.equal([]);
    });

    it('rejects a value outside a pick list', async () => {
      const r = await run('DocferryImport', { destType: 'cosmos', cosmosEndpoint: target.endpoint, cosmosKey: target.key, exportDir: work, mode: 'overwrite' });
      expect(r.result).to.equal('Failed');
      expect(r.errors[0]).to.equal('Input "mode" must be one of upsert, merge, mirror, not "overwrite".');
    });
  });
});
