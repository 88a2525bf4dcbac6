/**
 * The components used the way a user's Pulumi program uses them: from a folder outside this
 * repository, importing `docferry/pulumi` by the package's name (its `exports` map), with its own
 * @pulumi/pulumi. The package is the compiled src/ (esbuild, one file per module, like tsc
 * emits) next to package.json and layouts/, under the program's node_modules/docferry.
 * (npm run release:check does the same from the real tarball, with types.)
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const repoRoot = resolve(import.meta.dirname, '..', '..');
const P1 = 'aaaaaaaa-1111-2222-3333-444444444444';

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** A Pulumi program in plain JavaScript, as a user would write it, run under mocks. Prints what it saw as JSON. */
const PROGRAM = `
import * as pulumi from '@pulumi/pulumi';
import { fileURLToPath } from 'node:url';

const registered = [];
await pulumi.runtime.setMocks({
  newResource(a) {
    registered.push({ type: a.type, name: a.name, provider: a.provider, serializedProvider: typeof a.inputs.__provider === 'string' && a.inputs.__provider.includes('exports.handler') });
    const state = { ...a.inputs, id: a.name + '-id' };
    if (a.type === 'azure-native:cosmosdb:DatabaseAccount') { state.name = a.inputs.accountName; state.documentEndpoint = 'https://' + state.name + '.documents.azure.com:443/'; state.id = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.DocumentDB/databaseAccounts/' + state.name; }
    if (a.type === 'azure-native:storage:StorageAccount') { state.name = a.inputs.accountName; state.primaryEndpoints = { blob: 'https://' + state.name + '.blob.core.windows.net/' }; }
    if (a.type === 'azure-native:storage:BlobContainer') { state.name = a.inputs.containerName; state.id = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/x/blobServices/default/containers/' + state.name; }
    return { id: state.id, state };
  },
  call: (a) => a.inputs,
}, 'outside', 'dev', false);

const { CosmosTargetFromLayout, ExportArchive, MigrationThroughputWindow, loadLayout } = await import('docferry/pulumi');
const { Provider } = await import('@pulumi/azure-native/provider.js');

const layoutFile = fileURLToPath(import.meta.resolve('docferry/layouts/default.json'));
const provider = new Provider('azure', {});
const target = new CosmosTargetFromLayout('data', { layout: loadLayout(layoutFile), resourceGroupName: 'rg', account: { create: true, name: 'cosmos-out', location: 'westeurope' }, readerPrincipalIds: ['${P1}'] }, { providers: { 'azure-native': provider } });
const archive = new ExportArchive('exports', { resourceGroupName: 'rg', accountName: 'exportsout', contributorPrincipalIds: ['${P1}'] }, { provider });
const window = new MigrationThroughputWindow('window', { subscriptionId: 's', resourceGroupName: 'rg', accountName: target.accountName, windows: [{ database: 'copilot', container: 'messages', throughput: 20000 }] }, { dependsOn: [target] });

const value = (o) => new Promise((r) => pulumi.output(o).apply(r));
const children = [target.account, ...target.databases, ...target.containers, ...target.roleAssignments, archive.account, archive.container, archive.lifecycle, ...archive.roleAssignments, ...window.windows];
const result = {
  layoutFile,
  components: await Promise.all([target, archive, window].map((c) => value(c.urn))),
  children: await Promise.all(children.map((c) => value(c.urn))),
  providerRef: (await value(provider.urn)) + '::' + (await value(provider.id)),
  outputs: {
    endpoint: await value(target.endpoint),
    containerNames: await value(target.containerNames),
    containerUrl: await value(archive.containerUrl),
    windows: (await value(window.summary)).length,
  },
  registered,
};
await pulumi.runtime.disconnect(); // waits for the registrations still in flight
process.stdout.write(JSON.stringify(result));
`;

describe('docferry/pulumi from a Pulumi program outside this repository', function () {
  this.timeout(120_000);
  let out: {
    layoutFile: string;
    components: string[];
    children: string[];
    providerRef: string;
    outputs: { endpoint: string; containerNames: string[]; containerUrl: string; windows: number };
    registered: { type: string; name: string; provider?: string; serializedProvider: boolean }[];
  };
  let programDir: string;

  before(async () => {
    programDir = await tempDir('docferry-outside-program-');
    const pkg = join(programDir, 'node_modules', 'docferry');
    mkdirSync(pkg, { recursive: true });
    cpSync(join(repoRoot, 'package.json'), join(pkg, 'package.json'));
    cpSync(join(repoRoot, 'layouts'), join(pkg, 'layouts'), { recursive: true });
    await build({ entryPoints: tsFiles(join(repoRoot, 'src')), outdir: join(pkg, 'dist'), outbase: join(repoRoot, 'src'), format: 'esm', platform: 'node', target: 'node20', tsconfig: join(repoRoot, 'tsconfig.build.json'), logLevel: 'silent' });
    // docferry's own dependencies, and the program's peer copies of Pulumi: one @pulumi/pulumi for both (resolved by real path).
    const modules = realpathSync(join(repoRoot, 'node_modules'));
    symlinkSync(modules, join(pkg, 'node_modules'), 'dir');
    symlinkSync(join(modules, '@pulumi'), join(programDir, 'node_modules', '@pulumi'), 'dir');
    writeFileSync(join(programDir, 'package.json'), JSON.stringify({ name: 'my-infra', type: 'module', private: true }));
    writeFileSync(join(programDir, 'index.js'), PROGRAM);
    const { stdout } = await promisify(execFile)(process.execPath, ['index.js'], { cwd: programDir, timeout: 100_000, maxBuffer: 16 * 1024 * 1024 });
    out = JSON.parse(stdout) as typeof out;
  });
  after(removeTempDirs);

  it('resolves docferry/pulumi and docferry/layouts/* through the package exports, inside the program folder', () => {
    expect(realpathSync(out.layoutFile)).to.equal(realpathSync(join(programDir, 'node_modules', 'docferry', 'layouts', 'default.json')));
    expect(out.outputs.containerNames).to.include('copilot/messages');
  });

  it('registers the three components by their type tokens at the program root', () => {
    expect(out.components.map((u) => u.split('::').slice(2).join('::'))).to.deep.equal([
      'docferry:index:CosmosTargetFromLayout::data',
      'docferry:index:ExportArchive::exports',
      'docferry:index:MigrationThroughputWindow::window',
    ]);
  });

  it('parents every child to its component and names it after the component', () => {
    const parentOf = (urn: string) => urn.split('::')[2]!.split('$')[0];
    for (const urn of out.children) {
      const name = urn.split('::').pop()!;
      const expected = name.startsWith('data-') ? 'docferry:index:CosmosTargetFromLayout' : name.startsWith('exports') ? 'docferry:index:ExportArchive' : 'docferry:index:MigrationThroughputWindow';
      expect(parentOf(urn), urn).to.equal(expected);
    }
    expect(out.children.filter((u) => u.endsWith('::window-window-copilot-messages'))).to.have.length(1);
  });

  it('hands the program\'s provider to the children, and serializes the RU/s window provider from the installed package', () => {
    const azure = out.registered.filter((r) => r.type.startsWith('azure-native:') && r.type !== 'pulumi:providers:azure-native');
    expect(azure.length).to.be.greaterThan(10);
    for (const r of azure) expect(r.provider, `${r.type} ${r.name}`).to.equal(out.providerRef);
    const windows = out.registered.filter((r) => r.type === 'pulumi-nodejs:dynamic/docferry:ThroughputWindow');
    expect(windows.map((w) => [w.name, w.serializedProvider])).to.deep.equal([['window-window-copilot-messages', true]]);
  });

  it('gives the outputs: the endpoint, the container URL, the window summary', () => {
    expect(out.outputs.endpoint).to.equal('https://cosmos-out.documents.azure.com:443/');
    expect(out.outputs.containerUrl).to.equal('https://exportsout.blob.core.windows.net/exports');
    expect(out.outputs.windows).to.equal(1);
  });
});
