import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeDocument, encodeDocument, goFormatDouble } from '../../src/core/codec.js';
import { Long } from '../../src/core/bson.js';
import type { Doc } from '../../src/core/documents.js';
import { goRelaxedExtJson } from '../support/extjson-ref.js';

const corpusDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'bson-corpus');

interface CorpusCase {
  file: string;
  description: string;
  canonical: string;
  relaxed?: string;
}

/** Every valid case of the copied corpus that js-bson can hold (see the filter below). */
function corpusCases(): CorpusCase[] {
  const cases: CorpusCase[] = [];
  for (const file of readdirSync(corpusDir).filter((f) => f.endsWith('.json')).sort()) {
    const spec = JSON.parse(readFileSync(join(corpusDir, file), 'utf8')) as { valid?: { description: string; canonical_extjson: string; relaxed_extjson?: string }[] };
    for (const v of spec.valid ?? []) cases.push({ file, description: v.description, canonical: v.canonical_extjson, ...(v.relaxed_extjson ? { relaxed: v.relaxed_extjson } : {}) });
  }
  return cases;
}

/** JSON text without the whitespace between tokens (the corpus writes `{"a" : 1}`), strings untouched. */
function compact(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j;
    } else if (!' \t\n\r'.includes(c)) out += c;
  }
  return out;
}

function relaxedLine(canonical: string): string {
  return encodeDocument(decodeDocument(compact(canonical), 'canonical') as Doc, 'relaxed');
}

describe('relaxed Extended JSON is what MongoDB\'s tools write (mongoexport --jsonFormat=relaxed)', () => {
  // Documents the issue found changed: Int64 above 2^53 came out rounded to a double.
  const issueDocuments = [
    '{"_id":{"$numberLong":"9007199254740993"},"n":{"$numberLong":"9223372036854775800"}}',
    '{"_id":{"$numberLong":"9007199254740992"},"n":{"$numberLong":"-9223372036854775808"}}',
    '{"_id":{"$oid":"65a1b2c3d4e5f60718293a4b"},"i":{"$numberInt":"-2147483648"},"l":{"$numberLong":"9223372036854775807"},"d":{"$numberDouble":"5.0"},"big":{"$numberDouble":"1234567.0"},"small":{"$numberDouble":"0.0001"},"tiny":{"$numberDouble":"1.0E-5"},"nz":{"$numberDouble":"-0.0"},"inf":{"$numberDouble":"-Infinity"},"nan":{"$numberDouble":"NaN"}}',
    '{"_id":1,"dates":[{"$date":{"$numberLong":"0"}},{"$date":{"$numberLong":"1356351330500"}},{"$date":{"$numberLong":"1356351330050"}},{"$date":{"$numberLong":"-1"}},{"$date":{"$numberLong":"253402300799999"}},{"$date":{"$numberLong":"253402300800000"}}]}',
    '{"_id":"s","s":"line\\u2028sep\\u2029 tab\\t quote\\" <&> \\u0001 é 😀","nested":{"a":[{"$numberLong":"12345678901234567"},{"$numberInt":"1"}],"ts":{"$timestamp":{"t":1700000000,"i":7}}}}',
  ];

  it('keeps every Int64 exact: 9007199254740993 and 9223372036854775800 are written as those digits', () => {
    const doc = { _id: Long.fromString('9007199254740993'), n: Long.fromString('9223372036854775800') };
    expect(encodeDocument(doc, 'relaxed')).to.equal('{"_id":9007199254740993,"n":9223372036854775800}');
  });

  it('gives two Long _ids one apart two different lines, and reads each back as its own Int64', () => {
    const a = encodeDocument({ _id: Long.fromString('9007199254740993') }, 'relaxed');
    const b = encodeDocument({ _id: Long.fromString('9007199254740992') }, 'relaxed');
    expect(a).to.not.equal(b);
    expect(String((decodeDocument(a, 'relaxed') as Doc)._id)).to.equal('9007199254740993');
    expect(String((decodeDocument(b, 'relaxed') as Doc)._id)).to.equal('9007199254740992');
  });

  it('is byte for byte the Go driver\'s MarshalExtJSON(relaxed) for the issue\'s documents', () => {
    const ours = issueDocuments.map(relaxedLine);
    expect(ours).to.deep.equal(goRelaxedExtJson(issueDocuments));
  });

  it('is byte for byte the Go driver\'s output for every valid case of the Extended JSON corpus', () => {
    const cases = corpusCases();
    const ours: string[] = [];
    const inputs: string[] = [];
    for (const c of cases) {
      inputs.push(compact(c.canonical));
      ours.push(relaxedLine(c.canonical));
    }
    const theirs = goRelaxedExtJson(inputs);
    const mismatches = cases.map((c, i) => ({ c, ours: ours[i], theirs: theirs[i] })).filter((m) => m.ours !== m.theirs);
    expect(mismatches.map((m) => `${m.c.file} ${m.c.description}: ours ${m.ours} go ${m.theirs}`)).to.deep.equal([]);
    expect(cases.length).to.be.greaterThan(100);
  });

  it('matches the corpus\'s own relaxed_extjson token for token (the corpus puts spaces around ":")', () => {
    const withRelaxed = corpusCases().filter((c) => c.relaxed !== undefined);
    const mismatches = withRelaxed.map((c) => ({ c, ours: relaxedLine(c.canonical), theirs: compact(c.relaxed!) })).filter((m) => m.ours !== m.theirs);
    expect(mismatches.map((m) => `${m.c.file} ${m.c.description}: ours ${m.ours} corpus ${m.theirs}`)).to.deep.equal([]);
    expect(withRelaxed.length).to.be.greaterThan(20);
  });

  it('formats doubles as Go\'s strconv shortest "G" with ".0" on whole numbers', () => {
    expect([1, -1, 0.5, 123456, 1234567, 1e21, 1e-5, 0.0001, 1.0001220703125, 5e-324, 1.7976931348623157e308].map(goFormatDouble)).to.deep.equal([
      '1.0', '-1.0', '0.5', '123456.0', '1.234567E+06', '1E+21', '1E-05', '0.0001', '1.0001220703125', '5E-324', '1.7976931348623157E+308',
    ]);
  });
});
