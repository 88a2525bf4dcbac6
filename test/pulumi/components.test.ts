import { expect } from 'chai';
import { readdirSync, readFileSync, type Dirent } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as pulumi from '@pulumi/pulumi';
import { FakeThroughputClient } from './support/fake-throughput-client.js';
import { installMocks, ofType, recorded, registeredOutputs, resetRecorded, settled, valueOf } from './support/mocks.js';

type Components = typeof import('../../src/pulumi/index.js');

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
const P1 = 'aaaaaaaa-1111-2222-3333-444444444444';

/** The type of a resource's parent, read from its URN (`...::<parent type>$<own type>::<name>`). */
async function parentType(r: pulumi.Resource): Promise<string | undefined> {
  const urn = await valueOf(r.urn);
  const types = urn.split('::')[2]!.split('$');
  return types.length > 1 ? types[types.length - 2] : undefined;
}

/** A component's children: parented to it, and named after it (unique when a program builds two). */
async function expectChildrenOf(component: pulumi.ComponentResource, type: string, name: string, children: pulumi.CustomResource[]): Promise<void> {
  expect(children.length).to.be.greaterThan(0);
  for (const c of children) {
    expect(await parentType(c), await valueOf(c.urn)).to.equal(type);
    expect((await valueOf(c.urn)).split('::').pop()!.startsWith(name)).to.equal(true);
  }
  expect(await parentType(component)).to.equal(undefined);
}

describe('docferry/pulumi components', function () {
  this.timeout(60_000);
  let m: Components;
  let azure: typeof import('@pulumi/azure-native/provider.js');

  before(async () => {
    await installMocks();
    m = await import('../../src/pulumi/index.js');
    azure = await import('@pulumi/azure-native/provider.js');
  });
  beforeEach(() => resetRecorded());

  describe('CosmosTargetFromLayout', () => {
    const args = () => ({ layout: m.loadLayout(join(here, 'fixtures', 'multihash.json')), resourceGroupName: 'rg', account: { create: true as const, name: 'cosmos-c', location: 'westeurope' }, readerPrincipalIds: [P1] });

    it('parents its account, databases, containers and role assignments to itself, and registers its outputs', async () => {
      const t = new m.CosmosTargetFromLayout('tgt', args());
      const children = [t.account!, ...t.databases, ...t.containers, ...t.roleAssignments];
      await settled(children);
      expect(children).to.have.length(1 + 1 + 3 + 1);
      await expectChildrenOf(t, 'docferry:index:CosmosTargetFromLayout', 'tgt-', children);
      const outs = await registeredOutputs(t);
      expect(outs).to.deep.include({
        accountName: 'cosmos-c',
        endpoint: 'https://cosmos-c.documents.azure.com:443/',
        databaseNames: ['tenants'],
        containerNames: ['tenants/messages', 'tenants/chunks', 'tenants/sources'],
      });
      expect(outs!.accountId).to.match(/\/databaseAccounts\/cosmos-c$/);
    });

    it('hands its resource options to its children: the provider, and transformations', async () => {
      const provider = new azure.Provider('explicit', {});
      const tagged: string[] = [];
      const t = new m.CosmosTargetFromLayout('tgt2', args(), {
        providers: { 'azure-native': provider },
        transformations: [({ name, props, opts }) => (tagged.push(name), { props, opts })],
      });
      await settled([t.account!, ...t.databases, ...t.containers]);
      const providerRef = `${await valueOf(provider.urn)}::${await valueOf(provider.id)}`;
      for (const type of ['azure-native:cosmosdb:DatabaseAccount', 'azure-native:cosmosdb:SqlResourceSqlDatabase', 'azure-native:cosmosdb:SqlResourceSqlContainer']) {
        for (const r of ofType(type)) expect(r.provider, `${type} ${r.name}`).to.equal(providerRef);
      }
      expect(tagged).to.include.members(['tgt2', 'tgt2-account', 'tgt2-db-tenants', 'tgt2-container-tenants-messages', 'tgt2-data-reader-' + P1]);
    });

    it('takes a parent like any resource', async () => {
      class Outer extends pulumi.ComponentResource {
        constructor() {
          super('acme:infra:Data', 'outer', {});
        }
      }
      const outer = new Outer();
      const t = new m.CosmosTargetFromLayout('tgt3', { ...args(), account: { create: false, name: 'existing' } }, { parent: outer });
      await settled(t.databases);
      expect(await parentType(t)).to.equal('acme:infra:Data');
      expect(await parentType(t.databases[0]!)).to.equal('docferry:index:CosmosTargetFromLayout');
    });

    it('takes the resource group as an output of another resource', async () => {
      const rgName = new pulumi.ComponentResource('acme:infra:Group', 'rg-holder', {}).urn.apply(() => 'rg-from-output');
      const t = new m.CosmosTargetFromLayout('tgt4', { ...args(), resourceGroupName: rgName });
      await settled(t.databases);
      expect(ofType('azure-native:cosmosdb:SqlResourceSqlDatabase').map((d) => d.inputs.resourceGroupName)).to.deep.equal(['rg-from-output']);
    });
  });

  describe('ExportArchive', () => {
    it('parents the account, blob service, container, lifecycle, retention and role assignments to itself, and registers its outputs', async () => {
      const a = new m.ExportArchive('arch', { resourceGroupName: 'rg', accountName: 'archacct', immutabilityDays: 10, contributorPrincipalIds: [P1] });
      const children = [a.account, a.blobService, a.container, a.lifecycle, a.immutability!, ...a.roleAssignments];
      await settled(children);
      await expectChildrenOf(a, 'docferry:index:ExportArchive', 'arch', children);
      const outs = await registeredOutputs(a);
      expect(outs).to.deep.include({ accountName: 'archacct', containerName: 'exports', containerUrl: 'https://archacct.blob.core.windows.net/exports' });
      expect(outs!.containerId).to.match(/\/containers\/exports$/);
    });

    it('hands the provider to its children', async () => {
      const provider = new azure.Provider('explicit-archive', {});
      const a = new m.ExportArchive('arch2', { resourceGroupName: 'rg', accountName: 'archacct2' }, { provider });
      await settled([a.account, a.container, a.lifecycle]);
      const providerRef = `${await valueOf(provider.urn)}::${await valueOf(provider.id)}`;
      const mine = ofType('azure-native:storage:StorageAccount').concat(ofType('azure-native:storage:BlobContainer'), ofType('azure-native:storage:ManagementPolicy'));
      expect(mine).to.have.length(3);
      for (const r of mine) expect(r.provider, r.name).to.equal(providerRef);
    });
  });

  describe('MigrationThroughputWindow', () => {
    const target = { subscriptionId: 'sub-1', resourceGroup: 'rg', accountName: 'acct', database: 'copilot', container: 'messages' };

    it('parents its windows to itself and registers the summary', async () => {
      const fake = new FakeThroughputClient().set(target, { mode: 'manual', value: 400 });
      const provider = (await import('../../src/pulumi/throughput-provider.js')).makeThroughputWindowProvider(async () => fake);
      const w = new m.MigrationThroughputWindow('win', {
        subscriptionId: 'sub-1',
        resourceGroupName: 'rg',
        accountName: 'acct',
        windows: [{ database: 'copilot', container: 'messages', throughput: 10_000 }, { database: 'auth', autoscaleMax: 4_000 }],
        provider,
      });
      await settled(w.windows);
      await expectChildrenOf(w, 'docferry:index:MigrationThroughputWindow', 'win-window-', w.windows);
      const outs = await registeredOutputs(w);
      // Mocks echo inputs as state: the summary lists both windows.
      expect((outs!.summary as unknown[]).length).to.equal(2);
    });

    it('takes the account from another component\'s output', async () => {
      const t = new m.CosmosTargetFromLayout('tgt5', { layout: m.loadLayout(join(here, 'fixtures', 'multihash.json')), resourceGroupName: 'rg', account: { create: true, name: 'cosmos-w', location: 'westeurope' } });
      const w = new m.MigrationThroughputWindow('win2', { subscriptionId: 'sub-1', resourceGroupName: 'rg', accountName: t.accountName, windows: [{ database: 'tenants', container: 'messages', throughput: 4_000 }] });
      await settled(w.windows);
      const [registered] = ofType('pulumi-nodejs:dynamic/docferry:ThroughputWindow').filter((r) => r.name === 'win2-window-tenants-messages');
      expect(registered!.inputs).to.deep.include({ accountName: 'cosmos-w', databaseName: 'tenants', containerName: 'messages', mode: 'manual', value: 4_000 });
    });
  });

  describe('the stacks keep the URNs they had before the components', () => {
    it('aliasesToStackRoot names the root-level URN with and without the component prefix, and leaves the component alone', async () => {
      const { aliasesToStackRoot } = await import('../../pulumi/shared.js');
      const t = aliasesToStackRoot('target');
      const child = t({ type: 'azure-native:cosmosdb:SqlResourceSqlDatabase', name: 'target-db-copilot', props: { a: 1 }, opts: { protect: true } } as unknown as pulumi.ResourceTransformationArgs)!;
      expect(child.props).to.deep.equal({ a: 1 });
      expect(child.opts.protect).to.equal(true);
      const aliases = child.opts.aliases as pulumi.Alias[];
      expect(aliases.map((a) => a.name)).to.deep.equal(['target-db-copilot', 'db-copilot']);
      // Present and undefined: "the old URN had no parent" (an absent key would mean "same parent").
      for (const a of aliases) expect(Object.prototype.hasOwnProperty.call(a, 'parent') && a.parent === pulumi.rootStackResource).to.equal(true);
      expect(t({ type: 'docferry:index:CosmosTargetFromLayout', name: 'target', props: {}, opts: {} } as unknown as pulumi.ResourceTransformationArgs)).to.equal(undefined);
    });

    it('the aliases reach the engine: each child of a stack registers the old name with no parent', async () => {
      const { aliasesToStackRoot } = await import('../../pulumi/shared.js');
      type Spec = { name: string; noparent: boolean; parenturn: string };
      const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource(req: any, cb: unknown): unknown };
      const original = monitor.registerResource;
      const sent = new Map<string, Spec[]>();
      monitor.registerResource = function (req: any, cb: unknown) {
        // azure-native adds its own aliases (older API-version type tokens, no name): keep the named ones.
        const specs = req.getAliasesList().map((a: any) => a.getSpec()?.toObject() as Spec | undefined);
        sent.set(req.getName(), specs.filter((a: Spec | undefined): a is Spec => Boolean(a?.name)));
        return original.call(this, req, cb);
      };
      try {
        const layout = m.loadLayout(join(here, 'fixtures', 'multihash.json'));
        const t = new m.CosmosTargetFromLayout('target', { layout, resourceGroupName: 'rg', account: { create: false, name: 'acct' } }, { transformations: [aliasesToStackRoot('target')] });
        await settled(t.containers);
      } finally {
        monitor.registerResource = original;
      }
      expect(sent.get('target')).to.deep.equal([]);
      const db = sent.get('target-db-tenants')!;
      expect(db.map((a) => [a.name, a.noparent])).to.deep.equal([['target-db-tenants', true], ['db-tenants', true]]);
      expect(sent.get('target-container-tenants-messages')!.map((a) => a.name)).to.include('container-tenants-messages');
    });

    it('every child a stack now registers has an alias with the name it had at the stack root (archive, target, throughput)', async () => {
      const { aliasesToStackRoot } = await import('../../pulumi/shared.js');
      // The names the stacks registered before the components (git show 0b2eb16^:pulumi/*/): type and name, at the root.
      const before: Record<string, string[]> = {
        archive: ['archive', 'archive-blob-service', 'archive-container', 'archive-lifecycle', 'archive-retention', `blob-contributor-${P1}`],
        target: ['account', 'db-tenants', 'container-tenants-messages', 'container-tenants-chunks', 'container-tenants-sources', `data-reader-${P1}`, `data-contributor-${P1}`],
        throughput: ['window-copilot-messages', 'window-auth'],
      };
      const layout = m.loadLayout(join(here, 'fixtures', 'multihash.json'));
      const fake = new FakeThroughputClient();
      const provider = (await import('../../src/pulumi/throughput-provider.js')).makeThroughputWindowProvider(async () => fake);
      const build: Record<string, () => pulumi.Resource[]> = {
        archive: () => { const a = new m.ExportArchive('archive', { resourceGroupName: 'rg', accountName: 'acct', immutabilityDays: 5, contributorPrincipalIds: [P1] }); return [a.account, a.blobService, a.container, a.lifecycle, a.immutability!, ...a.roleAssignments]; },
        target: () => { const t = new m.CosmosTargetFromLayout('target', { layout, resourceGroupName: 'rg', account: { create: true, name: 'acct', location: 'westeurope' }, readerPrincipalIds: [P1], contributorPrincipalIds: [P1] }); return [t.account!, ...t.databases, ...t.containers, ...t.roleAssignments]; },
        throughput: () => new m.MigrationThroughputWindow('throughput', { subscriptionId: 's', resourceGroupName: 'rg', accountName: 'a', windows: [{ database: 'copilot', container: 'messages', throughput: 1000 }, { database: 'auth', throughput: 1000 }], provider }).windows,
      };
      for (const stack of ['archive', 'target', 'throughput']) {
        resetRecorded();
        await settled(build[stack]!());
        const children = recorded.resources.filter((r) => !r.type.startsWith('docferry:index:'));
        const aliased = children.map((r) => {
          const out = aliasesToStackRoot(stack)({ type: r.type, name: r.name, props: {}, opts: {} } as unknown as pulumi.ResourceTransformationArgs)!;
          return (out.opts.aliases as pulumi.Alias[]).map((a) => a.name as string);
        });
        expect(children.length, stack).to.equal(before[stack]!.length);
        before[stack]!.forEach((old) => expect(aliased.some((names) => names.includes(old)), `${stack}: ${old}`).to.equal(true));
        // The stack wires the aliases with the same name it gives the component.
        const source = readFileSync(join(repoRoot, 'pulumi', stack, 'index.ts'), 'utf8');
        expect(source, stack).to.include(`aliasesToStackRoot('${stack}')`);
        expect(source, stack).to.match(new RegExp(`new \\w+\\(\\s*'${stack}'`));
      }
    });
  });

  describe('layering', () => {
    it('no module of the engine, the stores, core, azure or the CLI imports src/pulumi, and neither does the package entry point', () => {
      const offenders: string[] = [];
      const src = join(repoRoot, 'src');
      const walk = (dir: string): string[] =>
        (readdirSyncSafe(dir) ?? []).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
      for (const file of [...['core', 'stores', 'engine', 'azure', 'cli'].flatMap((l) => walk(join(src, l))), join(src, 'index.ts')]) {
        for (const spec of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
          const target = spec[1]!.startsWith('.') ? relative(src, resolve(dirname(file), spec[1]!)) : spec[1]!;
          if (/^pulumi\/|^@pulumi\//.test(target)) offenders.push(`${relative(repoRoot, file)}: ${spec[1]}`);
        }
      }
      expect(offenders).to.deep.equal([]);
    });
  });
});

function readdirSyncSafe(dir: string): Dirent[] | undefined {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
}
