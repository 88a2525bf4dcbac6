import { expect } from 'chai';
import { Long, ObjectId } from 'mongodb';
import { cosmosCondition, cosmosQueryText, parseCosmosFilter } from '../../src/stores/cosmos/filter.js';
import { andAfter, mongoFilter, parseMongoFilter } from '../../src/stores/mongo/filter.js';
import { withFilters, filtersByCollection } from '../../src/engine/filters.js';
import { parseLayout, resolveScope, type Layout } from '../../src/core/layout.js';

describe('Cosmos DB filters: a WHERE clause or SELECT * FROM c WHERE ...', () => {
  it('takes a WHERE clause with or without WHERE, on the alias c', () => {
    expect(parseCosmosFilter("c.archive_id = 'a1'")).to.deep.equal({ alias: 'c', where: "c.archive_id = 'a1'" });
    expect(parseCosmosFilter("  WHERE c.n > 1 AND IS_DEFINED(c.x) ;")).to.deep.equal({ alias: 'c', where: 'c.n > 1 AND IS_DEFINED(c.x)' });
  });

  it('takes a whole query that selects whole documents, with its own alias', () => {
    expect(parseCosmosFilter("SELECT * FROM c WHERE c.a = 'x'")).to.deep.equal({ alias: 'c', where: "c.a = 'x'" });
    expect(parseCosmosFilter("select * from root r where r.a = 'x'")).to.deep.equal({ alias: 'r', where: "r.a = 'x'" });
    expect(parseCosmosFilter('SELECT * FROM items AS i WHERE i.n = 1')).to.deep.equal({ alias: 'i', where: 'i.n = 1' });
    expect(parseCosmosFilter('SELECT * FROM c')).to.deep.equal({ alias: 'c' });
  });

  it('refuses projections, VALUE, TOP, DISTINCT and aggregates, naming what was selected', () => {
    for (const q of ['SELECT c.id FROM c', 'SELECT VALUE COUNT(1) FROM c', 'SELECT TOP 5 * FROM c', 'SELECT DISTINCT * FROM c', 'SELECT COUNT(1) FROM c WHERE c.a = 1']) {
      const r = parseCosmosFilter(q);
      expect(r, q).to.be.a('string').that.includes('must select whole documents');
    }
  });

  it('refuses ORDER BY, GROUP BY, OFFSET LIMIT and JOIN, but not the same words inside strings or as property names', () => {
    expect(parseCosmosFilter('SELECT * FROM c WHERE c.a = 1 ORDER BY c._ts')).to.be.a('string').that.includes('ORDER BY');
    expect(parseCosmosFilter('c.a = 1 OFFSET 0 LIMIT 10')).to.be.a('string').that.includes('OFFSET');
    expect(parseCosmosFilter('SELECT * FROM c JOIN t IN c.tags WHERE t = 1')).to.be.a('string').that.includes('JOIN');
    expect(parseCosmosFilter("c.note = 'order by date' AND c.limit > 2")).to.deep.equal({ alias: 'c', where: "c.note = 'order by date' AND c.limit > 2" });
  });

  it('refuses an empty filter', () => {
    expect(parseCosmosFilter('  ')).to.be.a('string');
    expect(parseCosmosFilter('WHERE ')).to.be.a('string');
  });

  it('combines the flag and the layout filter with AND, each in parentheses of its own lines', () => {
    const c = cosmosCondition('copilot.messages', [
      { query: "c.a = 'x' -- the archive", from: '--query' },
      { query: 'SELECT * FROM c WHERE c.n > 1', from: 'layout l.json' },
    ]);
    expect(c).to.deep.equal({ alias: 'c', where: "(\nc.a = 'x' -- the archive\n) AND (\nc.n > 1\n)" });
    expect(cosmosQueryText('*', c as never)).to.match(/^SELECT \* FROM c WHERE \(\n\(\n/);
  });

  it('names the collection and the origin of a filter it refuses, and refuses two aliases', () => {
    const bad = cosmosCondition('copilot.messages', [{ query: 'SELECT c.id FROM c', from: '--query-file q.sql' }]);
    expect(bad).to.be.a('string').that.includes('copilot.messages').and.includes('--query-file q.sql');
    const two = cosmosCondition('copilot.messages', [
      { query: 'SELECT * FROM r WHERE r.a = 1', from: '--query' },
      { query: 'c.b = 2', from: 'layout l.json' },
    ]);
    expect(two).to.be.a('string').that.includes('different aliases');
  });
});

describe('MongoDB filters: Extended JSON, canonical or relaxed', () => {
  it('parses relaxed and canonical Extended JSON into BSON values', () => {
    const f = parseMongoFilter('{"_id": {"$oid": "65a1b2c3d4e5f60718293a4b"}, "n": {"$numberLong": "5"}, "at": {"$gte": {"$date": "2026-01-01T00:00:00Z"}}}') as Record<string, unknown>;
    expect(f._id).to.be.instanceOf(ObjectId);
    expect(f.n).to.be.instanceOf(Long);
    expect((f.at as { $gte: unknown }).$gte).to.be.instanceOf(Date);
  });

  it('refuses text that is not a JSON object', () => {
    expect(parseMongoFilter('{"a": ')).to.be.a('string').that.includes('not Extended JSON');
    expect(parseMongoFilter('[1]')).to.be.a('string').that.includes('JSON object');
    expect(mongoFilter('copilot.messages', [{ query: 'x', from: 'layout l.json' }])).to.be.a('string').that.includes('copilot.messages').and.includes('layout l.json');
  });

  it('combines the flag and the layout filter with $and, and the resume point with $and too', () => {
    expect(mongoFilter('d.c', undefined)).to.deep.equal({});
    expect(mongoFilter('d.c', [{ query: '{"a": "x"}', from: '--query' }])).to.deep.equal({ a: 'x' });
    expect(mongoFilter('d.c', [{ query: '{"a": "x"}', from: '--query' }, { query: '{"b": "y"}', from: 'layout' }])).to.deep.equal({ $and: [{ a: 'x' }, { b: 'y' }] });
    const after = { _id: { $gt: 5 } };
    expect(andAfter({}, after)).to.equal(after);
    expect(andAfter({ a: 1 }, undefined)).to.deep.equal({ a: 1 });
    expect(andAfter({ a: 1 }, after)).to.deep.equal({ $and: [{ a: 1 }, after] });
  });
});

describe('the filters of a run: --query for every collection, a layout filter for its container', () => {
  const layout: Layout = {
    databases: [{ name: 'd', containers: [{ name: 'a', partitionKey: { paths: ['/id'] }, filter: { kind: 'x' } }, { name: 'b', partitionKey: { paths: ['/id'] } }] }],
  };
  it('puts the flag first and the layout filter after it, as JSON text', () => {
    const scopes = withFilters(resolveScope(layout), { layout, source: 'l.json' }, { query: '{"n": 1}', from: '--query' });
    expect(filtersByCollection(scopes)).to.deep.equal({
      'd.a': [{ query: '{"n": 1}', from: '--query' }, { query: '{"kind":"x"}', from: 'layout l.json' }],
      'd.b': [{ query: '{"n": 1}', from: '--query' }],
    });
    expect(filtersByCollection(withFilters(resolveScope({ databases: [layout.databases[0]!].map((d) => ({ ...d, containers: [d.containers[1]!] })) }), { layout, source: 'l.json' }, undefined))).to.equal(undefined);
  });
});

describe('the layout schema takes a container filter', () => {
  it('as a string or an object, and refuses anything else', () => {
    const layout = (filter: unknown) => ({ databases: [{ name: 'd', containers: [{ name: 'c', partitionKey: { paths: ['/id'] }, filter }] }] });
    expect(parseLayout(layout("c.kind = 'x'"), 't').databases[0]!.containers[0]!.filter).to.equal("c.kind = 'x'");
    expect(parseLayout(layout({ kind: 'x' }), 't').databases[0]!.containers[0]!.filter).to.deep.equal({ kind: 'x' });
    expect(() => parseLayout(layout(5), 't')).to.throw(/filter/);
    expect(() => parseLayout(layout(''), 't')).to.throw(/filter/);
  });
});
