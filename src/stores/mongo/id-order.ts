import { bsonTypeOf } from '../../core/type-mapping.js';

/**
 * MongoDB's comparison order of types, as `$type` aliases. `_id` can be of any type but an
 * array, and `$gt` only compares within one of these brackets, so resuming after an `_id` also
 * needs every later bracket. FerretDB knows no alias for the deprecated Symbol, nor for MinKey
 * and MaxKey, so they are left out: after a resume a Symbol `_id` that sorts before the last one
 * read, or a MinKey `_id`, would be read twice (no such document exists in practice, and
 * FerretDB cannot store them at all).
 */
export const TYPE_BRACKETS: readonly (readonly string[])[] = [
  ['null'],
  ['number'],
  ['string'],
  ['object'],
  ['array'],
  ['binData'],
  ['objectId'],
  ['bool'],
  ['date'],
  ['timestamp'],
  ['regex'],
];

export function bracketOf(id: unknown): number | undefined {
  if (id === null || id === undefined) return 0;
  if (typeof id === 'number' || typeof id === 'bigint') return 1;
  if (typeof id === 'string') return 2;
  if (typeof id === 'boolean') return 7;
  if (id instanceof Date) return 8;
  if (Array.isArray(id)) return 4;
  switch (bsonTypeOf(id)) {
    case 'Int32':
    case 'Double':
    case 'Long':
    case 'Decimal128':
      return 1;
    case 'BSONSymbol':
      return 2;
    case 'Binary':
      return 5;
    case 'ObjectId':
      return 6;
    case 'Timestamp':
      return 9;
    case 'BSONRegExp':
      return 10;
    case undefined:
      return id instanceof RegExp ? 10 : 3;
    default:
      return undefined;
  }
}

