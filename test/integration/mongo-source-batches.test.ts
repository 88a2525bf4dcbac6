import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import type { CollectionScope } from '../../src/core/layout.js';
import { MongoSource } from '../../src/stores/mongo/source.js';
import { generateDocuments } from '../../src/synthetic/copilot.js';
import { startMongoTestServer, type MongoTestServer } from '../support/ferretdb.js';

const scope = (database: string, collection: string): CollectionScope => ({ database, collection, partitionKey: { paths: ['/id'], kind: 'Hash', version: 2 } });

describe('MongoDB source: cursor batches sized by the collection\'s documents', function () {
  this.timeout(120_000);
  let mongo: MongoTestServer;
  const db = `batches${process.pid}`;

  before(async function () {
    this.timeout(600_000); // a cold build of the FerretDB launcher
    mongo = await startMongoTestServer();
    const client = new MongoClient(mongo.uri);
    try {
      await client.db(db).collection('summaries').insertMany([...generateDocuments('summaries', 50, { seed: 3, flavor: 'mongodb' })]);
      await client.db(db).collection<{ _id: string; n: number }>('counters').insertMany(Array.from({ length: 50 }, (_, i) => ({ _id: `c${i}`, n: i })));
    } finally {
      await client.close();
    }
  });

  after(async () => {
    await mongo?.stop();
  });

  it('reads large documents in batches of about 4 MB, small ones 1,000 at a time, and every document either way', async () => {
    const source = new MongoSource(mongo.uri);
    try {
      const large = await source.cursorBatchSize(scope(db, 'summaries'));
      expect(large).to.be.within(100, 400); // ~17 KB summaries
      expect(await source.cursorBatchSize(scope(db, 'counters'))).to.equal(1000); // tiny documents: capped
      let read = 0;
      for await (const item of source.read(scope(db, 'summaries'))) if (item.doc) read++;
      expect(read).to.equal(50);
    } finally {
      await source.close();
    }
  });

  it('falls back to 1,000 where the server has no statistics for the collection, and keeps an explicit size', async () => {
    const source = new MongoSource(mongo.uri);
    const fixed = new MongoSource(mongo.uri, { batchSize: 7 });
    try {
      expect(await source.cursorBatchSize(scope(db, 'no_such_collection'))).to.equal(1000);
      expect(await fixed.cursorBatchSize(scope(db, 'summaries'))).to.equal(7);
    } finally {
      await source.close();
      await fixed.close();
    }
  });
});
