import { BSON } from 'mongodb';

// One copy of bson for the whole process: the one the MongoDB driver loads with require().
// `import ... from 'bson'` in an ES module loads bson's separate ES build instead: a second copy
// with its own 17 MB serialisation buffer, whose classes fail `instanceof` against the
// driver's (a BSONError thrown by the driver was not recognised as one).
export const { BSONError, Binary, Decimal128, Double, EJSON, Int32, Long, ObjectId } = BSON;
export type BSONError = InstanceType<typeof BSON.BSONError>;
export type Binary = InstanceType<typeof BSON.Binary>;
export type Decimal128 = InstanceType<typeof BSON.Decimal128>;
export type Double = InstanceType<typeof BSON.Double>;
export type Int32 = InstanceType<typeof BSON.Int32>;
export type Long = InstanceType<typeof BSON.Long>;
export type ObjectId = InstanceType<typeof BSON.ObjectId>;
export { BSON };
