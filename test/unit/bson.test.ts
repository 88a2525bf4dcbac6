import { expect } from 'chai';
import { Long as DriverLong, ObjectId as DriverObjectId } from 'mongodb';
import { decodeDocument } from '../../src/core/codec.js';
import { BSONError } from '../../src/core/bson.js';

describe('one copy of bson, shared with the MongoDB driver', () => {
  it('decodes Extended JSON into the classes the driver itself uses', () => {
    const doc = decodeDocument('{"_id":{"$oid":"0123456789abcdef01234567"},"n":{"$numberLong":"5"}}', 'canonical') as Record<string, unknown>;
    expect(doc._id).to.be.instanceOf(DriverObjectId);
    expect(doc.n).to.be.instanceOf(DriverLong);
  });

  it('recognises the errors the driver throws as BSON errors', () => {
    // Checked with instanceof (src/stores/mongo/connection.ts): a second copy's class never matched.
    expect(() => new DriverObjectId('not an object id')).to.throw(BSONError);
  });
});
