import { expect } from 'chai';
import { cosmosIdProblem, partitionKeyOf, stripSystemProperties, valueAtPath } from '../../src/core/documents.js';
import { defaultExportDirName, isoSeconds } from '../../src/core/manifest.js';

describe('document rules', () => {
  it('drops Cosmos DB system properties and keeps id and the application\'s _id', () => {
    expect(stripSystemProperties({ id: 'a', _id: 'a', v: 1, _rid: 'r', _self: 's', _etag: 'e', _attachments: 'x', _ts: 1 })).to.deep.equal({ id: 'a', _id: 'a', v: 1 });
  });

  it('accepts ids Cosmos DB can store and explains the ones it cannot', () => {
    expect(cosmosIdProblem('0123456789abcdef')).to.equal(undefined);
    expect(cosmosIdProblem('a/b')).to.match(/contains "\/"/);
    expect(cosmosIdProblem('a\\b')).to.match(/contains "\\"/);
    expect(cosmosIdProblem('a?b')).to.match(/contains "\?"/);
    expect(cosmosIdProblem('a#b')).to.match(/contains "#"/);
    expect(cosmosIdProblem('é'.repeat(512))).to.equal('id is 1024 bytes; Cosmos DB allows at most 1023');
    expect(cosmosIdProblem('x'.repeat(1023))).to.equal(undefined);
    expect(cosmosIdProblem(42)).to.match(/must be a string/);
  });

  it('reads partition-key values by path, for Hash and MultiHash keys', () => {
    const doc = { id: 'x', tenant: { region: 'eu' }, n: 0, b: false, z: null };
    expect(valueAtPath(doc, '/tenant/region')).to.equal('eu');
    expect(partitionKeyOf(doc, { paths: ['/id'], kind: 'Hash', version: 2 })).to.deep.equal({ ok: true, value: 'x' });
    expect(partitionKeyOf(doc, { paths: ['/tenant/region', '/n'], kind: 'MultiHash', version: 2 })).to.deep.equal({ ok: true, value: ['eu', 0] });
    expect(partitionKeyOf(doc, { paths: ['/z'], kind: 'Hash', version: 2 })).to.deep.equal({ ok: true, value: null });
    expect(partitionKeyOf(doc, { paths: ['/missing'], kind: 'Hash', version: 2 })).to.deep.equal({ ok: false, reason: 'missing partition-key value at /missing' });
    expect(partitionKeyOf(doc, { paths: ['/tenant'], kind: 'Hash', version: 2 })).to.deep.include({ ok: false });
    expect(partitionKeyOf({ k: 'x'.repeat(2049) }, { paths: ['/k'], kind: 'Hash', version: 2 })).to.deep.equal({ ok: false, reason: 'partition-key value at /k is 2049 bytes; Cosmos DB allows at most 2048' });
  });

  it('names export directories like the original scripts: data-export-<UTC yyyymmddTHHMMSS>', () => {
    const t = new Date(Date.UTC(2026, 1, 12, 17, 0, 5, 999));
    expect(defaultExportDirName(t)).to.equal('data-export-20260212T170005');
    expect(isoSeconds(t)).to.equal('2026-02-12T17:00:05Z');
  });
});
