import { BSON } from '../../core/bson.js';
import type { Doc } from '../../core/documents.js';
import { RAW_BSON_READ } from './connection.js';

/** Bytes of a value of each fixed-size BSON type (the others say their size in their first bytes). */
const FIXED_SIZE: Record<number, number> = { 0x01: 8, 0x06: 0, 0x07: 12, 0x08: 1, 0x09: 8, 0x0a: 0, 0x10: 4, 0x11: 8, 0x12: 8, 0x13: 16, 0x7f: 0, 0xff: 0 };

function int32At(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
}

/** Size of the value at `i` of a type whose size this knows; undefined for the rest (regex, DBPointer...). */
function valueSize(b: Uint8Array, type: number, i: number): number | undefined {
  const fixed = FIXED_SIZE[type];
  if (fixed !== undefined) return fixed;
  switch (type) {
    case 0x02: // string
    case 0x0d: // code
    case 0x0e: // symbol
      return 4 + int32At(b, i);
    case 0x03: // document
    case 0x04: // array
    case 0x0f: // code with scope
      return int32At(b, i);
    case 0x05: // binary
      return 5 + int32At(b, i);
    default:
      return undefined;
  }
}

/**
 * A document holding the `_id` of a BSON document alone, deserialised as the whole document would
 * be: what the transfer loop needs of a document read as bytes (its journal key, where to resume).
 * Falls back to deserialising the whole document when the bytes are unusual (the `_id` after a
 * type whose size is not known here, or none at all).
 */
export function headOf(bson: Uint8Array): Doc {
  let i = 4;
  const end = bson.length - 1;
  while (i < end) {
    const type = bson[i]!;
    const nameStart = i + 1;
    let j = nameStart;
    while (j < end && bson[j] !== 0) j++;
    const valueStart = j + 1;
    const size = valueSize(bson, type, valueStart);
    if (size === undefined || size < 0 || valueStart + size > end) break;
    if (j - nameStart === 3 && bson[nameStart] === 0x5f && bson[nameStart + 1] === 0x69 && bson[nameStart + 2] === 0x64) {
      // { _id: <value> } as a document of its own: length, the element as it is, the terminator.
      const element = bson.subarray(i, valueStart + size);
      const mini = new Uint8Array(element.length + 5);
      const length = mini.length;
      mini[0] = length & 0xff;
      mini[1] = (length >> 8) & 0xff;
      mini[2] = (length >> 16) & 0xff;
      mini[3] = (length >>> 24) & 0xff;
      mini.set(element, 4);
      return BSON.deserialize(mini, RAW_BSON_READ) as Doc;
    }
    i = valueStart + size;
  }
  const whole = BSON.deserialize(bson, RAW_BSON_READ) as Doc;
  return whole._id === undefined ? {} : { _id: whole._id };
}
