import { expect } from 'chai';
import { layoutCollections, loadLayout, parseLayout, partitionKeyFor, resolveScope, sortByOrder } from '../../src/core/layout.js';

describe('layout file', () => {
  const layout = loadLayout();

  it('defaults to the guide\'s partition keys: /id per collection, /collection for the shared documents container', () => {
    const scope = resolveScope(layout);
    expect(scope.map((s) => `${s.database}.${s.collection}`)).to.deep.equal([
      'copilot.sources', 'copilot.archives', 'copilot.messages', 'copilot.threads', 'copilot.chunks', 'copilot.summaries', 'copilot.reports', 'auth.user_roles',
    ]);
    expect(scope.every((s) => s.partitionKey.paths[0] === '/id' && s.partitionKey.kind === 'Hash' && s.partitionKey.version === 2)).to.equal(true);
    expect(partitionKeyFor(layout, 'copilot', 'documents').paths).to.deep.equal(['/collection']);
  });

  it('never migrates the shared documents containers', () => {
    expect(resolveScope(layout).some((s) => s.collection === 'documents')).to.equal(false);
  });

  it('gives a collection the layout does not name the default /id key, as the original scripts did', () => {
    expect(partitionKeyFor(layout, 'copilot', 'brand_new')).to.deep.equal({ paths: ['/id'], kind: 'Hash', version: 2 });
  });

  it('narrows by --collections, by name or db.name', () => {
    expect(resolveScope(layout, ['user_roles', 'copilot.sources']).map((s) => s.collection)).to.deep.equal(['sources', 'user_roles']);
  });

  it('refuses unknown collection names and lists the known ones', () => {
    expect(() => resolveScope(layout, ['sources', 'mesages'])).to.throw(/Unknown collection in --collections: mesages\. The layout has: sources, archives/);
  });

  it('accepts hierarchical (MultiHash) keys of two or three paths', () => {
    const l = parseLayout({ databases: [{ name: 'd', containers: [{ name: 'c', partitionKey: { paths: ['/tenant', '/region', '/id'], kind: 'MultiHash' } }] }] }, 'test');
    expect(resolveScope(l)[0]!.partitionKey).to.deep.equal({ paths: ['/tenant', '/region', '/id'], kind: 'MultiHash', version: 2 });
  });

  it('explains every problem of an invalid layout at once', () => {
    const bad = {
      databases: [
        {
          name: 'd',
          containers: [
            { name: 'a', partitionKey: { paths: ['/x', '/y'], kind: 'Hash' } },
            { name: 'a', partitionKey: { paths: ['/x'] }, throughput: { manual: 450 } },
          ],
        },
      ],
    };
    expect(() => parseLayout(bad, 'bad.json')).to.throw(/Layout bad\.json is not valid:[\s\S]*exactly one path[\s\S]*listed twice[\s\S]*multiple of 100/);
    expect(() => parseLayout({ databases: [{ name: 'd', containers: [{ name: 'c', partitionKey: { paths: ['id'] } }] }] }, 'p.json')).to.throw(/partitionKey\/paths\/0 must match pattern/);
    expect(() => parseLayout({ databases: [{ name: 'd', containers: [{ name: 'c', partitionKey: { paths: ['/a', '/b', '/c', '/d'] } }] }] }, 'p.json')).to.throw(/must NOT have more than 3 items/);
  });

  it('sorts collections by the first list that names them, the rest last in their own order', () => {
    const files = ['auth/user_roles', 'copilot/archives', 'copilot/extra', 'copilot/sources', 'copilot/aaa'].map((p) => {
      const [database, collection] = p.split('/') as [string, string];
      return { database, collection, path: `${p}.json` };
    });
    const sorted = sortByOrder(files, layoutCollections(layout), [{ database: 'copilot', collection: 'aaa' }]);
    expect(sorted.map((f) => f.path)).to.deep.equal(['copilot/sources.json', 'copilot/archives.json', 'auth/user_roles.json', 'copilot/aaa.json', 'copilot/extra.json']);
    expect(files[0]!.collection).to.equal('user_roles');
    expect(layoutCollections(undefined)).to.deep.equal([]);
  });

  it('says which file could not be read', () => {
    expect(() => loadLayout('/nonexistent/layout.json')).to.throw(/Cannot read layout file \/nonexistent\/layout\.json: ENOENT/);
  });
});
