/**
 * The Cosmos DB source's page sizing: pages of about 4 MB (the service's cap) of the sampled
 * average document, the ranges read at once sharing a bounded amount of memory.
 */
import { expect } from 'chai';
import { pageItemsFor } from '../../src/stores/cosmos/source.js';

const MB = 1024 * 1024;

describe('Cosmos DB source page size', () => {
  it('asks for pages of about 4 MB of the average document', () => {
    for (const avg of [600, 2_951, 6_002, 19_389]) {
      const items = pageItemsFor(avg, 1);
      expect(items * avg, `${avg} B documents`).to.be.at.most(4 * MB);
      expect((items + 1) * avg, `${avg} B documents`).to.be.above(4 * MB);
    }
  });

  it('keeps the ranges read at once to 8 MB in all', () => {
    expect(pageItemsFor(2_000, 2) * 2_000).to.be.at.most(4 * MB);
    for (const parallel of [4, 8]) {
      const items = pageItemsFor(2_000, parallel);
      expect(items * 2_000 * parallel).to.be.at.most(8 * MB);
      expect(items * 2_000 * parallel).to.be.above(7 * MB);
    }
  });

  it('bounds the documents of a page, at both ends', () => {
    expect(pageItemsFor(20, 1)).to.equal(20_000);
    expect(pageItemsFor(0, 1)).to.equal(20_000);
    expect(pageItemsFor(3 * MB, 8)).to.equal(10);
  });
});
