import { expect } from 'chai';
import { InvalidArgumentError } from 'commander';
import { byteSize } from '../../src/cli/options.js';

describe('--batch-bytes sizes', () => {
  const parse = byteSize('--batch-bytes');

  it('reads bytes and units of 1024, in any case', () => {
    expect(parse('2097152')).to.equal(2 * 1024 * 1024);
    expect(parse('512KB')).to.equal(512 * 1024);
    expect(parse('2mb')).to.equal(2 * 1024 * 1024);
    expect(parse('1.5 MiB')).to.equal(1.5 * 1024 * 1024);
    expect(parse('1GB')).to.equal(1024 ** 3);
  });

  it('refuses what is not a size, naming the flag and the value', () => {
    for (const bad of ['', 'MB', '-1MB', '0', '2 TB', 'lots']) {
      expect(() => parse(bad), bad).to.throw(InvalidArgumentError, /--batch-bytes takes a size/);
    }
  });
});
