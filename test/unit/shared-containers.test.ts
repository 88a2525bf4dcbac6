import { expect } from 'chai';
import { parseLayout, resolveScope, type Layout, type SharedContainer } from '../../src/core/layout.js';
import { mergeDocument, routeShared, splitDocument, undeclaredReason, withoutSplitTargets } from '../../src/core/shared.js';
import { databaseStoreOfType } from '../../src/stores/registry.js';

function layout(shared: SharedContainer, more: string[] = ['messages', 'threads']): Layout {
  return parseLayout(
    {
      databases: [
        {
          name: 'copilot',
          containers: [{ name: 'documents', partitionKey: { paths: ['/collection'] }, shared }, ...more.map((name) => ({ name, partitionKey: { paths: ['/thread_id'] } }))],
        },
      ],
    },
    'test',
  );
}

describe('shared containers: routing rules', () => {
  it('the layout schema takes a shared declaration and refuses an unknown route or a dotted discriminator', () => {
    expect(() => layout({ discriminator: 'collection', collections: ['messages'], route: 'split' })).not.to.throw();
    expect(() => layout({ discriminator: 'collection', collections: ['messages'], route: 'sideways' as 'split' })).to.throw(/route must be one of whole, split, merge/);
    expect(() => layout({ discriminator: 'a.b', collections: ['messages'] })).to.throw(/discriminator/);
    expect(() => layout({ discriminator: 'collection', collections: [] })).to.throw(/collections/);
  });

  it('whole (the default) moves the shared container as one collection', () => {
    const l = layout({ discriminator: 'collection', collections: ['messages', 'threads'] });
    expect(routeShared(resolveScope(l), l).map((s) => [s.collection, s.shared])).to.deep.equal([
      ['documents', undefined],
      ['messages', undefined],
      ['threads', undefined],
    ]);
  });

  it('split: one scope per value, named by it, keyed as the layout says for it; only the first reads the remainder', () => {
    const l = layout({ discriminator: 'collection', collections: ['messages', 'threads'], route: 'split', keepField: false });
    const scopes = routeShared(withoutSplitTargets(resolveScope(l)), l);
    expect(scopes.map((s) => [s.collection, s.partitionKey.paths[0], s.shared?.side, s.shared?.container, s.shared?.value, s.shared?.keepField, s.shared?.remainder ?? false])).to.deep.equal([
      ['messages', '/thread_id', 'source', 'documents', 'messages', false, true],
      ['threads', '/thread_id', 'source', 'documents', 'threads', false, false],
    ]);
  });

  it('split: a container of its own with a split value is refused (two sources into one target)', () => {
    const l = layout({ discriminator: 'collection', collections: ['messages'], route: 'split' });
    expect(() => routeShared(resolveScope(l), l)).to.throw(/copilot.messages is a container of its own/);
  });

  it('merge: each declared collection targets the shared container under its key; others pass unchanged', () => {
    const l = layout({ discriminator: 'collection', collections: ['messages'], route: 'merge' });
    const scopes = routeShared(resolveScope(l), l);
    expect(scopes.map((s) => [s.collection, s.target?.collection, s.partitionKey.paths[0], s.shared?.side])).to.deep.equal([
      ['messages', 'documents', '/collection', 'target'],
      ['threads', undefined, '/thread_id', undefined],
    ]);
  });

  it('documents: the field set on a merge (a conflicting value is a reason), removed on a split only when asked', () => {
    expect(mergeDocument({ id: 'a' }, { discriminator: 'collection', value: 'messages' })).to.deep.equal({ id: 'a', collection: 'messages' });
    expect(mergeDocument({ id: 'a', collection: 'messages' }, { discriminator: 'collection', value: 'messages' })).to.deep.equal({ id: 'a', collection: 'messages' });
    expect(mergeDocument({ id: 'a', collection: 'threads' }, { discriminator: 'collection', value: 'messages' })).to.be.a('string').and.match(/"threads"/);
    expect(splitDocument({ id: 'a', collection: 'm' }, { discriminator: 'collection', keepField: true })).to.deep.equal({ id: 'a', collection: 'm' });
    expect(splitDocument({ id: 'a', collection: 'm' }, { discriminator: 'collection', keepField: false })).to.deep.equal({ id: 'a' });
    const route = { discriminator: 'collection', container: 'documents', declared: ['messages'] };
    expect(undeclaredReason({ id: 'x' }, route)).to.match(/document "x" has no collection field.*\(messages\)/);
    expect(undeclaredReason({ id: 'y', collection: 'embeddings' }, route)).to.match(/document "y" has collection = "embeddings"/);
  });

  it('each store writes the discriminator filter in its own language', () => {
    expect(databaseStoreOfType('cosmos').selectByField('collection', ['messages'], false)).to.equal('c["collection"] IN ("messages")');
    expect(databaseStoreOfType('cosmos').selectByField('collection', ['a', 'b'], true)).to.equal('NOT (IS_DEFINED(c["collection"]) AND c["collection"] IN ("a", "b"))');
    expect(JSON.parse(databaseStoreOfType('mongodb').selectByField('collection', ['a'], true))).to.deep.equal({ collection: { $nin: ['a'] } });
  });
});
