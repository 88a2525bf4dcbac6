import { MappingError } from './type-mapping.js';

/**
 * A JSON parser that hands every number to the caller as its literal text, with the field path.
 * `JSON.parse` rounds every number to a double before anyone sees it: 9007199254740993 becomes
 * 9007199254740992 and 1e400 becomes Infinity, with no trace. This parser is the slow path of
 * the codec (src/core/codec.ts), used only for lines whose text holds such a number; the input
 * has already passed `JSON.parse`, so it is valid JSON and errors here are internal.
 */
export type NumberReader = (literal: string, path: string) => unknown;

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

export function parseExactJson(text: string, readNumber: NumberReader): unknown {
  let i = 0;
  const skip = () => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else return;
    }
  };
  const string = (): string => {
    const start = i;
    i++;
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x22) break;
      if (c === 0x5c) i++;
      if (Number.isNaN(c)) throw new SyntaxError('unterminated string');
      i++;
    }
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (path: string): unknown => {
    skip();
    const c = text[i];
    if (c === '{') {
      i++;
      const out: Record<string, unknown> = {};
      skip();
      if (text[i] === '}') {
        i++;
        return out;
      }
      for (;;) {
        skip();
        const key = string();
        skip();
        i++; // ':'
        const v = value(join(path, key));
        // JSON.parse makes "__proto__" an own property; plain assignment would set the prototype.
        if (key === '__proto__') Object.defineProperty(out, key, { value: v, writable: true, enumerable: true, configurable: true });
        else out[key] = v;
        skip();
        if (text[i++] === '}') return out;
      }
    }
    if (c === '[') {
      i++;
      const out: unknown[] = [];
      skip();
      if (text[i] === ']') {
        i++;
        return out;
      }
      for (;;) {
        out.push(value(`${path}[${out.length}]`));
        skip();
        if (text[i++] === ']') return out;
      }
    }
    if (c === '"') return string();
    if (text.startsWith('true', i)) {
      i += 4;
      return true;
    }
    if (text.startsWith('false', i)) {
      i += 5;
      return false;
    }
    if (text.startsWith('null', i)) {
      i += 4;
      return null;
    }
    const start = i;
    while (i < text.length && '+-0123456789.eE'.includes(text[i]!)) i++;
    if (i === start) throw new SyntaxError(`unexpected character at ${i}`);
    return readNumber(text.slice(start, i), path);
  };
  const result = value('');
  skip();
  if (i !== text.length) throw new SyntaxError(`unexpected text at ${i}`);
  return result;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INTEGER = /^-?\d+$/;

/**
 * What an integer literal of 16 or more digits is exactly: a double when it is one (10^20 is),
 * else an Int64 when it fits, else nothing. Shorter integers are always exact doubles.
 */
export function classifyInteger(literal: string): { double: number } | { int64: bigint } | undefined {
  const n = Number(literal);
  const big = BigInt(literal);
  if (Number.isFinite(n) && BigInt(n) === big) return { double: n };
  if (big >= INT64_MIN && big <= INT64_MAX) return { int64: big };
  return undefined;
}

/** The double a non-integer literal (fraction or exponent) stands for: rounded to the nearest, as every JSON reader does, but never ±Infinity. */
export function readDouble(literal: string, path: string): number {
  const n = Number(literal);
  if (!Number.isFinite(n)) throw new MappingError(path, `the number ${literal} is beyond the range of a double (about ±1.8e308); no store can hold it`);
  return n;
}

export function isIntegerLiteral(literal: string): boolean {
  return INTEGER.test(literal);
}
