import { expect } from 'chai';
import { IdTable } from '../../src/core/id-table.js';

describe('IdTable: the ids of an export file in fixed space per id', () => {
  it('keeps the number an id was first added with and refuses to replace it', () => {
    const t = new IdTable();
    expect(t.addIfAbsent('a', 3)).to.equal(undefined);
    expect(t.addIfAbsent('b', 4)).to.equal(undefined);
    expect(t.addIfAbsent('a', 9)).to.equal(3);
    expect(t.get('a')).to.equal(3);
    expect(t.get('b')).to.equal(4);
    expect(t.get('c')).to.equal(undefined);
    expect(t.size).to.equal(2);
  });

  it('tells ids apart that differ only in case, whitespace, unicode normalisation or length', () => {
    const t = new IdTable();
    const ids = ['id', 'ID', 'id ', ' id', 'é', 'e\u0301', '', '\u0000', 'x'.repeat(10_000), 'x'.repeat(10_001)];
    ids.forEach((id, i) => expect(t.addIfAbsent(id, i + 1), JSON.stringify(id)).to.equal(undefined));
    ids.forEach((id, i) => expect(t.get(id)).to.equal(i + 1));
  });

  it('finds every id again after growing far past its first capacity', () => {
    const t = new IdTable();
    const n = 200_000;
    for (let i = 0; i < n; i++) expect(t.addIfAbsent(`doc-${i}`, i + 1)).to.equal(undefined);
    expect(t.size).to.equal(n);
    for (let i = 0; i < n; i += 997) expect(t.get(`doc-${i}`)).to.equal(i + 1);
    for (let i = 0; i < n; i += 1009) expect(t.addIfAbsent(`doc-${i}`, 1)).to.equal(i + 1);
    expect(t.has(`doc-${n}`)).to.equal(false);
  });

  it('refuses numbers it cannot store (0 marks a free slot)', () => {
    const t = new IdTable();
    expect(() => t.addIfAbsent('a', 0)).to.throw(RangeError);
    expect(() => t.addIfAbsent('a', 2 ** 32)).to.throw(RangeError);
    expect(() => t.addIfAbsent('a', 1.5)).to.throw(RangeError);
  });

  it('forgets everything on clear', () => {
    const t = new IdTable();
    t.add('a');
    t.clear();
    expect(t.has('a')).to.equal(false);
    expect(t.size).to.equal(0);
  });
});
