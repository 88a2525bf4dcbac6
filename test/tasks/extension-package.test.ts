import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect } from 'chai';
import { Ajv } from 'ajv';
import JSZip from 'jszip';
import { azureDevOpsRoot, azureDevOpsTaskNames } from '../../scripts/build-tasks.js';
import { packageAzureDevOps } from '../../scripts/package-azure-devops.js';
import { generateDocuments } from '../../src/synthetic/copilot.js';
import { seedCosmos, startCosmosTestServer, testLayout, type CosmosTestServer } from '../support/cosmos.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';
import { runAgentTask, type TaskJson } from './support/agent.js';

const TASKS = ['DocferryArchive', 'DocferryExport', 'DocferryImport', 'DocferryMigrate', 'DocferryThroughput', 'DocferryVerify'];
const COUNTS = ['documentsRead', 'documentsWritten', 'documentsSkipped', 'documentsRejected'];
const OUTPUTS: Record<string, string[]> = {
  DocferryExport: [...COUNTS, 'exportDir', 'reportFile', 'reportMarkdown'],
  DocferryImport: [...COUNTS, 'exportDir', 'reportFile', 'reportMarkdown'],
  DocferryMigrate: [...COUNTS, 'reportFile', 'reportMarkdown'],
  DocferryVerify: ['reportFile', 'verifyEqual', 'reportMarkdown'],
  DocferryArchive: ['archivePrefix', 'exportDir'],
  DocferryThroughput: ['stateFile'],
};

describe('Azure DevOps extension: the .vsix from npm run package:azure-devops', function () {
  this.timeout(180_000);
  let vsix: JSZip;
  let vsixPath: string;
  const tasks = new Map<string, TaskJson>();
  const schema = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'tasks.schema.json'), 'utf8')) as object;

  before(async () => {
    const out = await tempDir('docferry-vsix-out-');
    vsixPath = await packageAzureDevOps(out);
    vsix = await JSZip.loadAsync(await readFile(vsixPath));
    for (const name of TASKS) {
      const entry = vsix.file(`${name}/task.json`);
      if (entry) tasks.set(name, JSON.parse(await entry.async('string')) as TaskJson);
    }
  });

  after(removeTempDirs);

  it('holds exactly the six tasks, each contributed by the extension manifest', async () => {
    expect(azureDevOpsTaskNames()).to.deep.equal(TASKS);
    expect([...tasks.keys()].sort()).to.deep.equal(TASKS);
    const manifest = JSON.parse(await vsix.file('extension.vsomanifest')!.async('string')) as { contributions: { type: string; properties: { name: string } }[] };
    const contributed = manifest.contributions.filter((c) => c.type === 'ms.vss-distributed-task.task').map((c) => c.properties.name).sort();
    expect(contributed).to.deep.equal(TASKS);
  });

  it('ships bundled code only: task.json, index.js, its license notices and layouts/ per task; no sources, no node_modules', () => {
    const files = Object.keys(vsix.files).filter((f) => !vsix.files[f]!.dir);
    for (const name of TASKS) {
      const own = files.filter((f) => f.startsWith(`${name}/`)).map((f) => f.slice(name.length + 1)).sort();
      expect(own, name).to.deep.equal(['index.js', 'index.js.LEGAL.txt', 'layouts/default.json', 'layouts/layout.schema.json', 'task.json']);
    }
    expect(files.filter((f) => f.endsWith('.ts') || f.includes('node_modules/'))).to.deep.equal([]);
  });

  it('keeps each bundle reasonable (under 4 MB)', async () => {
    for (const name of TASKS) {
      const size = (await vsix.file(`${name}/index.js`)!.async('nodebuffer')).length;
      expect(size, name).to.be.lessThan(4 * 1024 * 1024);
    }
  });

  it('every task.json is valid against the task schema', () => {
    // The official schema's patterns (\: in connectedService\:) are not valid in unicode mode.
    const validate = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false }).compile(schema);
    for (const [name, task] of tasks) {
      const ok = validate(task);
      expect(ok, `${name}: ${JSON.stringify(validate.errors)}`).to.equal(true);
    }
  });

  it('every task.json is the contract: name, fixed distinct GUID, version 1, Node20_1 and Node24, groups, help on every input, outputs', () => {
    const ids = new Set<string>();
    for (const [name, t] of tasks) {
      expect(t.name).to.equal(name);
      expect(ids.has(t.id), `${name} id`).to.equal(false);
      ids.add(t.id);
      expect(t.version.Major).to.equal(1);
      expect(String(t.friendlyName).length).to.be.at.most(40);
      expect(Object.keys(t.execution).sort()).to.deep.equal(['Node20_1', 'Node24']);
      for (const h of Object.values(t.execution)) expect(vsix.file(`${name}/${h.target}`), `${name} ${h.target}`).to.not.equal(null);
      const groups = new Set((t.groups ?? []).map((g) => g.name));
      expect(groups.size).to.be.greaterThan(0);
      const names = new Set(t.inputs.map((i) => i.name));
      for (const input of t.inputs) {
        const where = `${name}.${input.name}`;
        expect(input.helpMarkDown, where).to.be.a('string').and.not.equal('');
        expect(groups.has(input.groupName!), `${where} group ${input.groupName}`).to.equal(true);
        if (input.type === 'pickList') {
          expect(Object.keys(input.options ?? {}).length, where).to.be.greaterThan(1);
          if (input.defaultValue !== undefined) expect(Object.keys(input.options!), where).to.include(String(input.defaultValue));
        }
        if (input.visibleRule) {
          for (const term of input.visibleRule.split(/\s*(?:&&|\|\|)\s*/)) {
            const [ref, value] = term.split(/\s*=\s*/);
            const target = t.inputs.find((i) => i.name === ref);
            expect(target, `${where} visibleRule names ${ref}`).to.not.equal(undefined);
            if (target!.type === 'pickList') expect(Object.keys(target!.options!), `${where} visibleRule value`).to.include(value);
            if (target!.type === 'boolean') expect(['true', 'false'], `${where} visibleRule value`).to.include(value);
          }
        }
      }
      expect(names.has('azureSubscription'), `${name} azureSubscription`).to.equal(true);
      expect(t.inputs.find((i) => i.name === 'azureSubscription')!.type).to.equal('connectedService:AzureRM');
      expect((t.outputVariables ?? []).map((o) => o.name).sort(), name).to.deep.equal([...OUTPUTS[name]!].sort());
      // The packaged task.json is the one in the repository.
      expect(t).to.deep.equal(JSON.parse(readFileSync(join(azureDevOpsRoot, name, 'task.json'), 'utf8')));
    }
  });

  describe('a task unpacked from the .vsix, away from the repository', () => {
    let server: CosmosTestServer;
    before(async () => {
      server = await startCosmosTestServer();
      await seedCosmos(server, `auth${server.suffix}`, 'user_roles', generateDocuments('user_roles', 5, { seed: 41 }));
    });
    after(async () => server?.stop());

    it('runs with nothing but the files in its folder (no node_modules to fall back on)', async () => {
      const dir = await tempDir('docferry-unpacked-');
      for (const [path, entry] of Object.entries(vsix.files)) {
        if (entry.dir || !path.startsWith('DocferryExport/')) continue;
        await mkdir(dirname(join(dir, path)), { recursive: true });
        await writeFile(join(dir, path), await entry.async('nodebuffer'));
      }
      const layoutFile = join(dir, 'layout.json');
      await writeFile(layoutFile, JSON.stringify(testLayout(server)));
      const r = await runAgentTask({
        bundleDir: join(dir, 'DocferryExport'),
        task: tasks.get('DocferryExport')!,
        inputs: { sourceType: 'cosmos', cosmosEndpoint: server.endpoint, cosmosKey: server.key, layoutFile, collections: 'user_roles' },
        workDir: await tempDir('docferry-agent-'),
      });
      expect(r.result, r.stdout + r.stderr).to.equal('Succeeded');
      expect(r.outputs).to.include({ documentsRead: '5', documentsWritten: '5' });
    });

    it('uses the built-in layout shipped beside the bundle when no layout file is given', async () => {
      const dir = await tempDir('docferry-unpacked-');
      for (const [path, entry] of Object.entries(vsix.files)) {
        if (entry.dir || !path.startsWith('DocferryExport/')) continue;
        await mkdir(dirname(join(dir, path)), { recursive: true });
        await writeFile(join(dir, path), await entry.async('nodebuffer'));
      }
      // The default layout names databases without a suffix: only meaningful on the local server.
      if (server.suffix) return;
      const r = await runAgentTask({
        bundleDir: join(dir, 'DocferryExport'),
        task: tasks.get('DocferryExport')!,
        inputs: { sourceType: 'cosmos', cosmosEndpoint: server.endpoint, cosmosKey: server.key, collections: 'user_roles' },
        workDir: await tempDir('docferry-agent-'),
      });
      expect(r.result, r.stdout + r.stderr).to.equal('Succeeded');
      expect(r.outputs).to.include({ documentsWritten: '5' });
    });
  });
});
