/**
 * Bundles the pipeline tasks with esbuild, one self-contained CommonJS file each (no node_modules
 * at run time): tasks/azure-devops/<Task>/index.js and tasks/github/dist/index.cjs.
 *
 * The engine finds its package.json and layouts/ relative to its own source file; in a bundle that
 * place does not exist, so src/core/package-info.ts is replaced by constants whose packageRoot is
 * the bundle's own folder, and layouts/ is copied next to the bundle.
 * The output is deterministic (same sources, same bytes), which the dist freshness test relies on.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const azureDevOpsRoot = join(repoRoot, 'tasks', 'azure-devops');
export const githubRoot = join(repoRoot, 'tasks', 'github');

const LAYOUT_FILES = ['default.json', 'layout.schema.json'];

function packageInfoPlugin(): Plugin {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { name: string; version: string };
  return {
    name: 'docferry-package-info',
    setup(b) {
      b.onLoad({ filter: /[\\/]src[\\/]core[\\/]package-info\.ts$/ }, () => ({
        loader: 'js',
        contents: [
          '// The bundle ships package facts as constants and layouts/ beside itself.',
          'export const packageRoot = __dirname;',
          `export const toolName = ${JSON.stringify(pkg.name)};`,
          `export const toolVersion = ${JSON.stringify(pkg.version)};`,
        ].join('\n'),
      }));
    },
  };
}

function copyLayouts(outDir: string): void {
  const dest = join(outDir, 'layouts');
  mkdirSync(dest, { recursive: true });
  for (const f of LAYOUT_FILES) copyFileSync(join(repoRoot, 'layouts', f), join(dest, f));
}

const common: BuildOptions = {
  absWorkingDir: repoRoot,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  // Third-party license notices go to <bundle>.LEGAL.txt, shipped beside the bundle.
  legalComments: 'linked',
  charset: 'utf8',
  // ESM dependencies that find their own files through import.meta.url (e.g. @azure/storage-common's
  // CRC64 module) get the bundle's own URL, which CommonJS output would otherwise leave empty.
  define: { 'import.meta.url': '__bundle_import_meta_url' },
  banner: { js: 'var __bundle_import_meta_url = require("url").pathToFileURL(__filename).href;' },
  logLevel: 'warning',
  plugins: [packageInfoPlugin()],
};

export interface BuiltBundle {
  outfile: string;
  bytes: number;
  metafile: Metafile;
}

async function bundle(entry: string, outfile: string): Promise<BuiltBundle> {
  const result = await build({ ...common, metafile: true, entryPoints: [entry], outfile });
  copyLayouts(dirname(outfile));
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  return { outfile, bytes, metafile: result.metafile };
}

/** Folders under tasks/azure-devops holding a task.json: one task each. */
export function azureDevOpsTaskNames(): string[] {
  return readdirSync(azureDevOpsRoot, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(azureDevOpsRoot, d.name, 'task.json')))
    .map((d) => d.name)
    .sort();
}

export function buildAzureDevOpsTask(name: string, outDir: string = join(azureDevOpsRoot, name)): Promise<BuiltBundle> {
  return bundle(join(azureDevOpsRoot, name, 'index.ts'), join(outDir, 'index.js'));
}

/** `.cjs`: the repository's package.json says "type": "module", and the action runs from a checkout of it. */
export function buildGithubAction(outDir: string = join(githubRoot, 'dist')): Promise<BuiltBundle> {
  return bundle(join(githubRoot, 'src', 'main.ts'), join(outDir, 'index.cjs'));
}

async function main(): Promise<void> {
  const started = Date.now();
  const builds = [...azureDevOpsTaskNames().map((n) => buildAzureDevOpsTask(n))];
  if (existsSync(join(githubRoot, 'src', 'main.ts'))) builds.push(buildGithubAction());
  const built = await Promise.all(builds);
  for (const b of built) console.log(`${b.outfile.slice(repoRoot.length + 1)}  ${(b.bytes / 1024 / 1024).toFixed(2)} MB`);
  console.log(`built ${built.length} bundles in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
