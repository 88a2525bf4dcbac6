import { expect } from 'chai';
import { JsonArrayError, splitJsonArray, type ArrayElement } from '../../src/core/json-array.js';

/** The text as a stream of chunks of `size` bytes (1: every byte its own chunk, the worst case for the state that crosses chunks). */
async function* chunks(text: string | Buffer, size: number): AsyncGenerator<Buffer> {
  const buf = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

async function split(text: string | Buffer, size = 1 << 16): Promise<ArrayElement[]> {
  const out: ArrayElement[] = [];
  for await (const e of splitJsonArray(chunks(text, size))) out.push(e);
  return out;
}

async function failure(text: string | Buffer, size = 1 << 16): Promise<JsonArrayError> {
  try {
    await split(text, size);
  } catch (err) {
    expect(err).to.be.instanceOf(JsonArrayError);
    return err as JsonArrayError;
  }
  throw new Error(`no error for ${JSON.stringify(String(text))}`);
}

const texts = (els: ArrayElement[]) => els.map((e) => e.text);

describe('splitJsonArray: one top-level JSON array, element by element', () => {
  // Every case is split whole, in 7-byte chunks and byte by byte: the answer must not depend on where chunks end.
  for (const size of [1 << 16, 7, 1]) {
    describe(`in chunks of ${size} byte(s)`, () => {
      it('yields each element with its exact text, index, byte offset and line', async () => {
        const text = '[{"_id":{"$oid":"5f1d7b1c9d3e2a0001a1b2c3"},"n":{"$numberLong":"9007199254740993"}},{"a":1.50}]';
        const els = await split(text, size);
        expect(texts(els)).to.deep.equal(['{"_id":{"$oid":"5f1d7b1c9d3e2a0001a1b2c3"},"n":{"$numberLong":"9007199254740993"}}', '{"a":1.50}']);
        expect(els.map((e) => [e.index, e.byte, e.line, e.bytes])).to.deep.equal([
          [1, 1, 1, els[0]!.text!.length],
          [2, text.indexOf('{"a"'), 1, 10],
        ]);
      });

      it('strings holding brackets, commas, braces, escaped quotes and a trailing backslash do not end an element', async () => {
        const a = '{"s":"a],[b}{\\"c\\",d","t":"\\\\","u":"\\\\\\"]"}';
        const b = '{"k]":"[","v":"\\u005d,"}';
        expect(JSON.parse(a)).to.deep.equal({ s: 'a],[b}{"c",d', t: '\\', u: '\\"]' });
        expect(texts(await split(`[${a},${b}]`, size))).to.deep.equal([a, b]);
      });

      it('nested arrays and objects are one element each', async () => {
        const a = '{"x":[[1,2],[3,[4,{"y":[]}]]],"z":{"w":{"v":[{}]}}}';
        const b = '[1,[2,[3]]]';
        expect(texts(await split(`[${a},${b},{}]`, size))).to.deep.equal([a, b, '{}']);
      });

      it('whitespace, CRLF, a pretty-printed file and a byte-order mark: lines count from 1', async () => {
        const text = '\ufeff  \r\n[\r\n  {\r\n    "a": 1\r\n  } ,\r\n\t{"b": "x\\ny"}\n]\n\n';
        const els = await split(text, size);
        expect(texts(els)).to.deep.equal(['{\r\n    "a": 1\r\n  }', '{"b": "x\\ny"}']);
        expect(els.map((e) => e.line)).to.deep.equal([3, 6]);
        // Offsets are bytes: the mark is three of them.
        expect(els[0]!.byte).to.equal(Buffer.byteLength(text.slice(0, text.indexOf('{'))));
      });

      it('an empty array yields nothing', async () => {
        expect(await split('[]', size)).to.deep.equal([]);
        expect(await split(' [ \n ] \n', size)).to.deep.equal([]);
      });

      it('scalars are elements too (the import then rejects them as not documents)', async () => {
        expect(texts(await split('[1, "a,]", null,true ,-2.5e3]', size))).to.deep.equal(['1', '"a,]"', 'null', 'true', '-2.5e3']);
      });

      it('multi-byte UTF-8 split across chunks is decoded whole; bytes that are not UTF-8 are flagged, not thrown', async () => {
        const els = await split('[{"name":"Zoë 東京 🚀"}]', size);
        expect(JSON.parse(els[0]!.text!)).to.deep.equal({ name: 'Zoë 東京 🚀' });
        const bad = Buffer.concat([Buffer.from('[{"a":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"},{"b":2}]')]);
        const out = await split(bad, size);
        expect(out.map((e) => [e.index, e.invalidUtf8 ?? false, e.text])).to.deep.equal([
          [1, true, undefined],
          [2, false, '{"b":2}'],
        ]);
      });

      it('a truncated file is an error naming the byte and line where it ends, and the element cut', async () => {
        const cut = '[\n{"a":1},\n{"b":[1,2';
        const e = await failure(cut, size);
        expect(e.message).to.match(/ends inside element 2 \(it began at byte 11, line 3\): it is truncated/);
        expect([e.byte, e.line]).to.deep.equal([Buffer.byteLength(cut), 3]);
        expect((await failure('[{"a":"open string', size)).message).to.match(/ends inside element 1/);
        expect((await failure('[{"a":1},', size)).message).to.match(/ends before the array's closing "\]" \(after element 1\)/);
        expect((await failure('[{"a":1}', size)).message).to.match(/ends before the array's closing "\]"/);
        expect((await failure('[1, 2', size)).message).to.match(/ends inside element 2 \(it began at byte 4, line 1\)/);
      });

      it('what is not one array is an error with its place', async () => {
        const notArray = await failure('  {"a":1}', size);
        expect(notArray.message).to.match(/not a JSON array: the file begins with "\{"/);
        expect([notArray.byte, notArray.line]).to.deep.equal([2, 1]);
        expect((await failure('', size)).message).to.match(/empty/);
        expect((await failure(' \n ', size)).message).to.match(/only whitespace/);
        const after = await failure('[{}]\n[{}]', size);
        expect(after.message).to.match(/after the array's closing "\]"/);
        expect([after.byte, after.line]).to.deep.equal([5, 2]);
        expect((await failure('[{},]', size)).message).to.match(/"," before the closing "\]"/);
        expect((await failure('[,{}]', size)).message).to.match(/"," where element 1 should begin/);
        expect((await failure('[{} x {}]', size)).message).to.match(/"x" after element 1/);
        expect((await failure('[{"a":[1}]', size)).message).to.match(/"\}" where element 1 needs "\]"/);
      });
    });
  }

  it('streams: the first element comes before the stream ends', async () => {
    let produced = 0;
    async function* endless(): AsyncGenerator<Buffer> {
      yield Buffer.from('[{"first":true}');
      for (;;) {
        produced++;
        yield Buffer.from(`,{"n":${produced}}`);
        if (produced > 10_000) throw new Error('the splitter read ahead instead of yielding');
      }
    }
    const it = splitJsonArray(endless());
    const first = await it.next();
    expect(first.value?.text).to.equal('{"first":true}');
    expect(produced).to.be.lessThan(3);
    await it.return(undefined);
  });
});
