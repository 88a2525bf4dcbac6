/**
 * A streaming splitter for a file that holds one top-level JSON array of documents (mongoexport
 * --jsonArray, many tools' "JSON export"): it yields each element's exact bytes, decoded as
 * UTF-8, without holding more than one element (and one read chunk) in memory. It parses nothing:
 * it follows strings (and their escapes) and bracket nesting only, so that each element can then
 * be parsed from its own exact text (Extended JSON keeps its types, numbers keep their digits).
 *
 * JSON's structural characters are ASCII, and no byte of a multi-byte UTF-8 sequence is below
 * 0x80, so the bytes can be scanned without decoding them.
 */

/** One element of the array. */
export interface ArrayElement {
  /** 1-based position in the array. */
  index: number;
  /** The element's text; undefined when its bytes are not valid UTF-8. */
  text?: string;
  invalidUtf8?: boolean;
  /** Byte offset of its first byte in the stream (0-based). */
  byte: number;
  /** Line of its first byte (1-based). */
  line: number;
  /** Its length in bytes. */
  bytes: number;
}

/** The stream is not one well-formed top-level array: where, and what was found. */
export class JsonArrayError extends Error {
  constructor(
    message: string,
    /** 0-based byte offset of the problem. */
    readonly byte: number,
    /** 1-based line of the problem. */
    readonly line: number,
  ) {
    super(message);
    this.name = 'JsonArrayError';
  }
}

const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

const isSpace = (b: number) => b === SPACE || b === LF || b === CR || b === TAB;

/** What the splitter expects next. */
const State = {
  /** Before the opening `[` (whitespace and a UTF-8 byte-order mark allowed). */
  Start: 0,
  /** After `[`: an element or `]`. */
  First: 1,
  /** After `,`: an element. */
  Next: 2,
  /** Inside an element. */
  Element: 3,
  /** After an element: `,` or `]`. */
  After: 4,
  /** After the closing `]`: whitespace only. */
  End: 5,
} as const;
type State = (typeof State)[keyof typeof State];

function shown(b: number): string {
  return b >= 0x20 && b < 0x7f ? JSON.stringify(String.fromCharCode(b)) : `byte 0x${b.toString(16).padStart(2, '0')}`;
}

/**
 * The elements of the one top-level JSON array the stream holds. Throws JsonArrayError (with the
 * byte offset and line) when the stream is not one: another value at the top, text between or
 * after the elements, a bracket that does not match, or an end inside the array (a truncated file).
 */
export async function* splitJsonArray(stream: AsyncIterable<Buffer | Uint8Array | string>): AsyncGenerator<ArrayElement> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let state: State = State.Start;
  let offset = 0; // bytes of the stream before the current chunk
  let line = 1;
  let index = 0;
  // The element being read: its parts from earlier chunks, where it began, its nesting.
  let parts: Uint8Array[] = [];
  let partBytes = 0;
  let startByte = 0;
  let startLine = 1;
  let startInChunk = -1;
  const closers: number[] = [];
  let inString = false;
  let escaped = false;
  let scalar = false;
  let bom = 0; // bytes of a leading byte-order mark seen so far

  const fail = (message: string, at: number, atLine: number): never => {
    throw new JsonArrayError(message, at, atLine);
  };
  const finish = (chunk: Uint8Array, end: number): ArrayElement => {
    let body: Uint8Array;
    const tail = chunk.subarray(startInChunk < 0 ? 0 : startInChunk, end);
    if (parts.length === 0) body = tail;
    else {
      parts.push(tail);
      body = Buffer.concat(parts, partBytes + tail.length);
    }
    parts = [];
    partBytes = 0;
    startInChunk = -1;
    index++;
    const base = { index, byte: startByte, line: startLine, bytes: body.length };
    try {
      return { ...base, text: decoder.decode(body) };
    } catch {
      return { ...base, invalidUtf8: true };
    }
  };

  for await (const raw of stream) {
    const chunk: Uint8Array = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
    const n = chunk.length;
    for (let i = 0; i < n; i++) {
      const b = chunk[i]!;
      if (state === State.Element) {
        if (inString) {
          if (escaped) escaped = false;
          else if (b === BACKSLASH) escaped = true;
          else if (b === QUOTE) {
            inString = false;
            if (scalar && closers.length === 0) {
              // A string element ends at its closing quote.
              yield finish(chunk, i + 1);
              state = State.After;
            }
          } else if (b === LF) line++;
          continue;
        }
        if (b === QUOTE) {
          inString = true;
          continue;
        }
        if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
          if (scalar) fail(`unexpected ${shown(b)} inside element ${index + 1}`, offset + i, line);
          closers.push(b === OPEN_ARRAY ? CLOSE_ARRAY : CLOSE_OBJECT);
          continue;
        }
        if (b === CLOSE_ARRAY || b === CLOSE_OBJECT) {
          if (closers.length === 0) {
            // A number, true, false or null ends at the array's `]`.
            yield finish(chunk, i);
            state = State.After;
            i--;
            continue;
          }
          const want = closers.pop()!;
          if (b !== want) fail(`${shown(b)} where element ${index + 1} needs ${shown(want)}`, offset + i, line);
          if (closers.length === 0) {
            yield finish(chunk, i + 1);
            state = State.After;
          }
          continue;
        }
        if (closers.length === 0 && (b === COMMA || isSpace(b))) {
          yield finish(chunk, i);
          state = State.After;
          i--;
          continue;
        }
        if (b === LF) line++;
        continue;
      }
      if (b === LF) {
        line++;
        continue;
      }
      if (state === State.Start && offset + i === bom && bom < 3 && b === [0xef, 0xbb, 0xbf][bom]) {
        bom++;
        continue;
      }
      if (isSpace(b)) continue;
      switch (state) {
        case State.Start:
          if (b !== OPEN_ARRAY) fail(`not a JSON array: the file begins with ${shown(b)}, not "["`, offset + i, line);
          state = State.First;
          break;
        case State.First:
        case State.Next:
          if (b === CLOSE_ARRAY) {
            if (state === State.Next) fail(`a "," before the closing "]" with no element after it`, offset + i, line);
            state = State.End;
            break;
          }
          if (b === COMMA) fail(`a "," where element ${index + 1} should begin`, offset + i, line);
          if (b === CLOSE_OBJECT) fail(`unexpected "}" where element ${index + 1} should begin`, offset + i, line);
          state = State.Element;
          startByte = offset + i;
          startLine = line;
          startInChunk = i;
          closers.length = 0;
          scalar = b !== OPEN_ARRAY && b !== OPEN_OBJECT;
          inString = b === QUOTE;
          escaped = false;
          if (!scalar) closers.push(b === OPEN_ARRAY ? CLOSE_ARRAY : CLOSE_OBJECT);
          break;
        case State.After:
          if (b === COMMA) state = State.Next;
          else if (b === CLOSE_ARRAY) state = State.End;
          else fail(`${shown(b)} after element ${index}, where a "," or the closing "]" should be`, offset + i, line);
          break;
        case State.End:
          fail(`${shown(b)} after the array's closing "]": the file holds more than one JSON value`, offset + i, line);
      }
    }
    if (state === State.Element) {
      const from = startInChunk < 0 ? 0 : startInChunk;
      parts.push(chunk.subarray(from));
      partBytes += n - from;
      startInChunk = -1;
    }
    offset += n;
  }
  // (Widened: the checker narrows `state` by the assignments it follows, not the ones in the loop.)
  switch (state as State) {
    case State.End:
      return;
    case State.Start:
      fail(offset === 0 ? 'the file is empty, not a JSON array' : 'the file holds only whitespace, not a JSON array', offset, line);
      break;
    case State.Element:
      fail(`the file ends inside element ${index + 1} (it began at byte ${startByte}, line ${startLine}): it is truncated`, offset, line);
      break;
    default:
      fail(`the file ends before the array's closing "]" (after element ${index}): it is truncated`, offset, line);
  }
}
