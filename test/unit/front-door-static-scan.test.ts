/**
 * Static scan of the front doors (issue 13): the CLI's commands and the tasks' operations build a
 * side's spec through the store registry (each store's `specFromOptions`) and take their store-type
 * choices from it, so a third store is a descriptor and catalogue entries, not an edit in each command.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { STORE_KINDS } from '../../src/stores/registry.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The CLI's commands, the tasks' operations and the library API. */
const FRONT_DOORS = ['src/cli/commands', 'tasks/common/ops', 'src/api'];
/** Where the tasks used to spell out the union and branch on it. */
const ALSO = ['tasks/common/stores.ts', 'src/cli/options.ts'];

const quoted = `['"\`](?:${STORE_KINDS.join('|')})['"\`]`;
/** `x === 'cosmos'`, `'mongodb' !== x`, `case 'dir':`. */
const COMPARISON = new RegExp(`(?:[!=]==?\\s*${quoted})|(?:${quoted}\\s*[!=]==?)|(?:\\bcase\\s+${quoted}\\s*:)`);
/** `'cosmos' | 'mongodb'`, `['cosmos', 'mongodb']`: the store types listed by hand. */
const SPELT_OUT = new RegExp(`${quoted}\\s*[|,]\\s*${quoted}`);

function files(): string[] {
  const dirs = FRONT_DOORS.flatMap((d) =>
    readdirSync(join(repoRoot, d))
      // A generated file (the API's option types) lists the store types as the registry gave them to the generator.
      .filter((n) => n.endsWith('.ts') && !n.endsWith('.generated.ts'))
      .map((n) => join(repoRoot, d, n)),
  );
  return [...dirs, ...ALSO.map((f) => join(repoRoot, f))].sort();
}

function offenders(pattern: RegExp, paths: string[]): string[] {
  return paths.flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .flatMap((line, i) => (pattern.test(line) ? [`${relative(repoRoot, file)}:${i + 1}: ${line.trim()}`] : [])),
  );
}

describe('Front doors: static scan for store types', () => {
  it('the scan finds what it looks for (it would catch the old commands)', () => {
    expect(COMPARISON.test("if (values.sourceType !== 'cosmos' && values.sourceType !== 'mongodb') {")).to.equal(true);
    expect(COMPARISON.test("    case 'dir': {")).to.equal(true);
    expect(SPELT_OUT.test("export const STORE_TYPES: readonly StoreType[] = ['cosmos', 'mongodb'];")).to.equal(true);
    expect(SPELT_OUT.test("export type StoreType = 'cosmos' | 'mongodb';")).to.equal(true);
    expect(files().length).to.be.greaterThan(10);
    expect(files().map((f) => relative(repoRoot, f))).to.include.members(['src/api/specs.ts', 'src/api/run.ts', 'src/cli/commands/export.ts', 'tasks/common/ops/migrate.ts']);
  });

  it('src/cli/commands, tasks/common/ops and src/api compare against no store-type literal: the registry builds every spec', () => {
    expect(offenders(COMPARISON, files())).to.deep.equal([]);
  });

  it('no front door lists the store types by hand: the choices come from the registry', () => {
    expect(offenders(SPELT_OUT, files())).to.deep.equal([]);
  });
});
