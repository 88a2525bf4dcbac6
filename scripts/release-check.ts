/**
 * `npm run release:check`: the npm package as a user gets it.
 *
 * 1. Packs the working tree (`npm pack`, whose `prepare` builds dist/) from a clean copy, so no
 *    stale file of an earlier build can slip into the tarball.
 * 2. Refuses a tarball holding tests, benchmarks, scripts, CI files, sources, tasks or a .vsix,
 *    or missing what the CLI, the library and the Pulumi components need.
 * 3. Installs it into an empty directory from the registry alone, as a CLI-only user would:
 *    `npx docferry --version`, `import ... from 'docferry'` (and `require` from CommonJS) with the
 *    API's option checks run, and no Pulumi, task SDK or test server installed.
 * 4. Adds the Pulumi peers there, then imports `docferry/pulumi`, builds the three components
 *    under Pulumi mocks, and type-checks a small TypeScript program against the package's types.
 *
 * Takes a minute or two (the build and the installs); not part of `npm test`.
 * `--keep` leaves the temp directory for inspection.
 */
import { execFileSync, type ExecFileSyncOptions } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tarballProblems } from './release-rules.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
};

/** Never installed for a CLI-only user. */
const NOT_FOR_CLI_USERS = ['@pulumi/pulumi', '@pulumi/azure-native', 'azure-pipelines-task-lib', '@actions/core', 'azurite', '@vercel/cosmosdb-server', 'tfx-cli', 'mocha', 'chai', 'typescript', 'tsx', 'esbuild'];

const started = Date.now();
const step = (msg: string) => console.log(`\n=== ${msg} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
const failures: string[] = [];
const check = (ok: boolean, what: string) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
};

function run(cmd: string, args: string[], opts: ExecFileSyncOptions = {}): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024, ...opts }) as string;
}
const npm = (args: string[], cwd: string) => run(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, { cwd, env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' } });

/** The working tree's files (tracked and new, not ignored) copied to `dest`, with the repository's node_modules for the build. */
function cleanCopy(dest: string): void {
  const files = run('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: repoRoot }).split('\0').filter(Boolean);
  for (const f of files) {
    if (f === 'node_modules' || f.startsWith('node_modules/')) continue;
    const from = join(repoRoot, f);
    if (!existsSync(from)) continue; // deleted in the working tree, not yet committed
    mkdirSync(dirname(join(dest, f)), { recursive: true });
    cpSync(from, join(dest, f));
  }
  symlinkSync(realpathSync(join(repoRoot, 'node_modules')), join(dest, 'node_modules'), 'dir');
}

const work = mkdtempSync(join(tmpdir(), 'docferry-release-check-'));
try {
  step('npm pack from a clean copy of the working tree (prepare builds dist/)');
  const source = join(work, 'source');
  mkdirSync(source);
  cleanCopy(source);
  const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', work], source)) as { filename: string; files: { path: string }[]; size: number; unpackedSize: number }[];
  const tarball = join(work, packed[0]!.filename);
  const paths = packed[0]!.files.map((f) => f.path);
  console.log(`${packed[0]!.filename}: ${paths.length} files, ${(packed[0]!.size / 1024).toFixed(0)} kB packed, ${(packed[0]!.unpackedSize / 1024).toFixed(0)} kB unpacked`);

  step('tarball contents');
  const problems = tarballProblems(paths);
  for (const p of problems.forbidden) check(false, p);
  for (const p of problems.missing) check(false, `does not hold ${p}`);
  check(problems.forbidden.length === 0, 'no tests, benchmarks, scripts, CI files, sources or .vsix');
  check(problems.missing.length === 0, 'holds the CLI, the library, the components with their types, the layouts, README, LICENSE, CHANGELOG');

  step('install into an empty directory from the registry (a CLI-only user)');
  const user = join(work, 'user');
  mkdirSync(user);
  writeFileSync(join(user, 'package.json'), JSON.stringify({ name: 'docferry-release-check', private: true, type: 'module' }, null, 2));
  npm(['install', '--no-package-lock', tarball], user);
  const version = npm(['exec', '--no', '--', 'docferry', '--version'], user).trim();
  check(version === pkg.version, `npx docferry --version prints ${pkg.version} (got ${version})`);
  for (const dep of NOT_FOR_CLI_USERS) check(!existsSync(join(user, 'node_modules', dep)), `${dep} is not installed`);

  const library = run(process.execPath, ['--input-type=module', '-e', `
    const d = await import('docferry');
    const layout = d.loadLayout();
    const json = await import('docferry/layouts/default.json', { with: { type: 'json' } });
    console.log(JSON.stringify({
      names: Object.keys(d).sort(),
      layout: layout.name, sameLayout: json.default.name === layout.name,
      usage: new d.UsageError('x').exitCode === d.ExitCode.usage && new d.UsageError('x') instanceof d.DocferryError,
      version: d.version,
      // The API's own checks, with no server: a catalogue option's bad value, and an aborted signal.
      badOption: await d.migrate({ fromType: 'mongodb', fromMongoUri: 'mongodb://127.0.0.1:9/', toType: 'mongodb', toMongoUri: 'mongodb://127.0.0.1:8/', batchSize: 0 }).then(() => 'resolved', (e) => e instanceof d.UsageError && e.exitCode === 2 ? e.message : 'other: ' + e),
      aborted: await d.exportData({ sourceType: 'mongodb', mongoUri: 'mongodb://127.0.0.1:9/', signal: AbortSignal.abort() }).then(() => 'resolved', (e) => e instanceof d.AbortError && e.exitCode === 130 ? 'AbortError' : 'other: ' + e),
    }));
  `], { cwd: user });
  const lib = JSON.parse(library) as { names: string[]; layout: string; sameLayout: boolean; usage: boolean; version: string; badOption: string; aborted: string };
  for (const name of ['exportData', 'importData', 'migrate', 'verify', 'planRun', 'loadLayout', 'ExitCode', 'DocferryError', 'UsageError', 'InputRefusedError', 'AbortError', 'runExport', 'runImport', 'runMigrate', 'runVerify']) check(lib.names.includes(name), `import { ${name} } from 'docferry'`);
  check(lib.badOption === 'migrate: option "batchSize" takes a whole number of at least 1, not 0.', `migrate({ batchSize: 0 }) rejects with the catalogue's UsageError (got ${lib.badOption})`);
  check(lib.aborted === 'AbortError', `exportData with an aborted signal rejects with AbortError, exit code 130 (got ${lib.aborted})`);
  const required = run(process.execPath, ['-e', `const d = require('docferry'); console.log(typeof d.migrate + ' ' + typeof d.planRun)`], { cwd: user }).trim();
  check(required === 'function function', `require('docferry') from CommonJS (require(esm)) gives the API (got ${required})`);
  check(lib.sameLayout && lib.layout.length > 0, `loadLayout() reads the packaged layouts/default.json (${lib.layout}), also exported as docferry/layouts/default.json`);
  check(lib.usage, 'UsageError carries ExitCode.usage');
  check(lib.version === pkg.version, 'the library reports the package version');
  const withoutPeers = (() => {
    try {
      run(process.execPath, ['--input-type=module', '-e', `await import('docferry/pulumi')`], { cwd: user, stdio: ['ignore', 'pipe', 'pipe'] });
      return 'loaded';
    } catch (err) {
      return String((err as { stderr?: string }).stderr ?? err);
    }
  })();
  check(/Cannot find (package|module) '@pulumi\/pulumi'/.test(withoutPeers), 'without the Pulumi peers, docferry/pulumi says @pulumi/pulumi is missing (and the CLI does not need it)');

  step('add the Pulumi peers, use docferry/pulumi');
  npm(['install', '--no-package-lock', ...Object.keys(pkg.peerDependencies).map((p) => `${p}@${pkg.devDependencies[p] ?? pkg.peerDependencies[p]}`)], user);
  const program = run(process.execPath, ['--input-type=module', '-e', `
    import * as pulumi from '@pulumi/pulumi';
    await pulumi.runtime.setMocks({ newResource: (a) => ({ id: a.name + '-id', state: { ...a.inputs, name: a.inputs.accountName ?? a.inputs.containerName ?? a.name } }), call: (a) => a.inputs }, 'release-check', 'dev', false);
    const p = await import('docferry/pulumi');
    const value = (o) => new Promise((r) => pulumi.output(o).apply(r));
    const target = new p.CosmosTargetFromLayout('data', { layout: p.loadLayout(), resourceGroupName: 'rg', account: { create: false, name: 'acct' } });
    const archive = new p.ExportArchive('exports', { resourceGroupName: 'rg', accountName: 'exportsacct' });
    const window = new p.MigrationThroughputWindow('window', { subscriptionId: 's', resourceGroupName: 'rg', accountName: target.accountName, windows: [{ database: 'copilot', container: 'messages', throughput: 10000 }] });
    const parents = await Promise.all([...target.databases, archive.container, ...window.windows].map(async (r) => (await value(r.urn)).split('::')[2].split('$')[0]));
    const containerNames = (await value(target.containerNames)).length;
    await pulumi.runtime.disconnect(); // waits for the registrations still in flight
    console.log(JSON.stringify({
      components: [target, archive, window].every((c) => c instanceof pulumi.ComponentResource),
      parents: [...new Set(parents)].sort(),
      containerNames,
    }));
  `], { cwd: user });
  const used = JSON.parse(program) as { components: boolean; parents: string[]; containerNames: number };
  check(used.components, 'CosmosTargetFromLayout, ExportArchive and MigrationThroughputWindow are pulumi.ComponentResource of the installed @pulumi/pulumi');
  check(JSON.stringify(used.parents) === JSON.stringify(['docferry:index:CosmosTargetFromLayout', 'docferry:index:ExportArchive', 'docferry:index:MigrationThroughputWindow']), `children are parented to their components (${used.parents.join(', ')})`);
  check(used.containerNames > 0, 'the target component lays out the default layout');

  step('type-check a TypeScript program against the package types');
  // check.ts below, and the ten-line program of pulumi/README.md as it is written there.
  const readmeProgram = /```ts\n([\s\S]*?)```/.exec(readFileSync(join(repoRoot, 'pulumi', 'README.md'), 'utf8'))?.[1];
  check(readmeProgram !== undefined, 'pulumi/README.md has a TypeScript program');
  writeFileSync(join(user, 'readme.ts'), readmeProgram ?? '');
  writeFileSync(join(user, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['check.ts', 'readme.ts'] }));
  writeFileSync(join(user, 'check.ts'), `
import * as pulumi from '@pulumi/pulumi';
import { CosmosTargetFromLayout, ExportArchive, MigrationThroughputWindow, loadLayout, type CosmosTargetFromLayoutArgs } from 'docferry/pulumi';
import { ExitCode, UsageError, migrate, planRun, runExport, type MigrateDataOptions, type RunPlan, type RunSummary } from 'docferry';

const args: CosmosTargetFromLayoutArgs = { layout: loadLayout(), resourceGroupName: pulumi.output('rg'), account: { create: false, name: 'acct' } };
const target = new CosmosTargetFromLayout('data', args, { protect: true });
const archive = new ExportArchive('exports', { resourceGroupName: 'rg', deleteAfterDays: 30 });
const window = new MigrationThroughputWindow('window', { subscriptionId: 's', resourceGroupName: 'rg', accountName: target.accountName, windows: [{ database: 'copilot', autoscaleMax: 10000 }] }, { dependsOn: [target] });
export const endpoint: pulumi.Output<string> = target.endpoint;
export const url: pulumi.Output<string> = archive.containerUrl;
export const floors: pulumi.Output<number[]> = window.summary.apply((s) => s.map((w) => w.newFloor));
const code: 2 = new UsageError('x').exitCode === ExitCode.usage ? ExitCode.usage : 2;
const run: (o: Parameters<typeof runExport>[0]) => Promise<RunSummary> = runExport;
const options: MigrateDataOptions = { fromType: 'mongodb', fromMongoUri: 'mongodb://a/', toType: 'cosmos', toCosmosEndpoint: 'https://a/', toMaxRu: 400, batchBytes: '4MB', onEvent: (e) => void e.type };
const moved: Promise<RunSummary> = migrate(options);
const planned: Promise<RunPlan> = planRun({ operation: 'migrate', ...options, mode: 'mirror' });
void code; void run; void moved; void planned;
// @ts-expect-error: batchSize is a number, as the catalogue declares it (an int)
void migrate({ ...options, batchSize: '10' });
// @ts-expect-error: a window takes throughput or autoscaleMax as numbers
new MigrationThroughputWindow('bad', { subscriptionId: 's', resourceGroupName: 'rg', accountName: 'a', windows: [{ database: 'd', throughput: '400' }] });
`);
  let typeErrors = '';
  try {
    run(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: user, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    typeErrors = String((err as { stdout?: string }).stdout ?? err);
  }
  check(typeErrors === '', `check.ts and the pulumi/README.md program type-check against docferry's .d.ts files${typeErrors ? `:\n${typeErrors}` : ''}`);
} finally {
  if (process.argv.includes('--keep')) console.log(`\nkept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

step(failures.length === 0 ? 'release check passed' : `release check FAILED: ${failures.length} problem(s)`);
for (const f of failures) console.log(`  - ${f}`);
process.exitCode = failures.length === 0 ? 0 : 1;
