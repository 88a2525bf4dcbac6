/**
 * Static scans of the engine's sources. The engine asks a store's descriptor (src/stores/registry.ts)
 * instead of testing the store's type, so that a new store is a descriptor, not a branch in every
 * operation; it loads no store SDK before a run uses that store; and it imports no front door.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { STORE_KINDS } from '../../src/stores/registry.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const src = join(repoRoot, 'src');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

const quoted = `['"\`](?:${STORE_KINDS.join('|')})['"\`]`;
/** `x === 'cosmos'`, `'mongodb' !== x`, `case 'dir':`. */
const STORE_TYPE_COMPARISON = new RegExp(`(?:[!=]==?\\s*${quoted})|(?:${quoted}\\s*[!=]==?)|(?:\\bcase\\s+${quoted}\\s*:)`, 'g');

/** Comparisons against a store type literal, as `file:line: text`. */
function storeTypeComparisons(files: string[]): string[] {
  const found: string[] = [];
  for (const file of files) {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (line.match(STORE_TYPE_COMPARISON)) found.push(`${relative(repoRoot, file)}:${i + 1}: ${line.trim()}`);
      });
  }
  return found;
}

/** Module specifiers a file imports at load time: not `import type`, not `export type`, not `import()`. */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?'([^']+)'/gms)) out.push(m[1]!);
  return out;
}

interface Loaded {
  /** Every package loaded, with the chain of files that led to it. */
  packages: Map<string, string[]>;
  /** Every file of docferry loaded, with the files it imports. */
  files: Map<string, string[]>;
}

/** What a module loads at load time, following relative imports. */
function loadedBy(entry: string): Loaded {
  const packages = new Map<string, string[]>();
  const files = new Map<string, string[]>();
  const visit = (file: string, chain: string[]) => {
    if (files.has(file)) return;
    const imports: string[] = [];
    files.set(file, imports);
    const here = [...chain, relative(repoRoot, file)];
    for (const spec of staticImports(file)) {
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
        imports.push(target);
        visit(target, here);
      } else if (!spec.startsWith('node:') && !packages.has(spec)) packages.set(spec, here);
    }
  };
  visit(entry, []);
  return { packages, files };
}

const packagesLoadedBy = (entry: string) => loadedBy(entry).packages;

describe('Engine: static scans', () => {
  it('finds a store type comparison where there is one (the scan itself works)', () => {
    const sample = [`if (kind === 'cosmos')`, `'mongodb' !== spec.type`, `case "dir":`, 'x == `cosmos`', `{ type: 'dir', path }`, `kind === 'cosmosdb'`];
    const hits = sample.filter((line) => line.match(STORE_TYPE_COMPARISON));
    expect(hits).to.deep.equal(sample.slice(0, 4));
  });

  it('src/engine compares against no store type: it asks the store registry instead', () => {
    expect(storeTypeComparisons(tsFiles(join(src, 'engine')))).to.deep.equal([]);
  });

  it('export, import, migrate, verify and the store registry load no store SDK (@azure/*) until a run uses that store', () => {
    const loaded: string[] = [];
    // engine/archive.ts is the Blob Storage operation: its commands load it whole with import().
    const entries = ['engine/export.ts', 'engine/import.ts', 'engine/migrate.ts', 'engine/verify.ts', 'stores/registry.ts', 'stores/factory.ts'];
    for (const entry of entries.map((e) => join(src, e))) {
      for (const [pkg, chain] of packagesLoadedBy(entry)) if (pkg.startsWith('@azure/')) loaded.push(`${pkg} <- ${chain.join(' <- ')}`);
    }
    expect(loaded).to.deep.equal([]);
  });

  it('the scan of imports sees the SDKs the stores do load', () => {
    expect([...packagesLoadedBy(join(src, 'stores/cosmos/source.ts')).keys()]).to.include('@azure/cosmos');
    expect([...packagesLoadedBy(join(src, 'stores/cosmos/descriptor.ts')).keys()]).not.to.include('@azure/cosmos');
  });

  // A module the registry loads that loads the registry back would find its descriptors uninitialised
  // whenever it happens to be imported first (a TDZ error that depends on import order).
  it('the store registry loads no module that loads the registry back', () => {
    const registry = join(src, 'stores/registry.ts');
    const { files } = loadedBy(registry);
    const back = [...files].filter(([file, imports]) => file !== registry && imports.includes(registry)).map(([file]) => relative(repoRoot, file));
    expect(back).to.deep.equal([]);
    expect(files.size).to.be.greaterThan(5);
  });

  it('core, stores, engine and azure import no front door: no task library, Pulumi, GitHub toolkit or src/cli', () => {
    const found: string[] = [];
    for (const layer of ['core', 'stores', 'engine', 'azure']) {
      for (const file of tsFiles(join(src, layer))) {
        for (const spec of staticImports(file)) {
          const target = spec.startsWith('.') ? relative(src, resolve(dirname(file), spec)) : spec;
          if (/^(cli\/|azure-pipelines-task-lib|@actions\/|@pulumi\/)/.test(target)) found.push(`${relative(repoRoot, file)}: ${spec}`);
        }
      }
    }
    expect(found).to.deep.equal([]);
  });
});
