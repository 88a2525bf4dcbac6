/**
 * The DR drill on local servers: a seeded "production" Cosmos DB is exported and pushed to an
 * Azurite archive (the setup), then the stages of DR_DRILL_STAGES run in their order, as the
 * pipeline templates run them: pull the newest complete archive, provision an ephemeral target
 * from the layout, import, verify against the archive, tear down (always), report (always).
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ContainerClient } from '@azure/storage-blob';
import { DocferryError, ExitCode, type ExitCodeValue } from '../../src/core/errors.js';
import { countKey, isCurrentManifest, type Manifest } from '../../src/core/manifest.js';
import { defaultLayoutPath, loadLayout, type Layout } from '../../src/core/layout.js';
import { archivePull, archivePush, type ArchivePullResult, type ArchiveTarget } from '../../src/engine/archive.js';
import type { EngineEvent, EventSink, RunSummary } from '../../src/engine/events.js';
import { runExport, type LayoutRef } from '../../src/engine/export.js';
import { runImport } from '../../src/engine/import.js';
import { forEachLimit } from '../../src/core/concurrency.js';
import { runVerify, verifyRunSummary, type VerifyEndpoint } from '../../src/engine/verify.js';
import { reportRecorder } from '../../src/report/recorder.js';
import { layoutDifferences } from '../../src/engine/schema-check.js';
import { captureCosmosDatabases } from '../../src/stores/cosmos/schema.js';
import type { DatabaseSpec } from '../../src/stores/factory.js';
import { AUTH_COLLECTIONS, COPILOT_COLLECTIONS, databaseOf, generateDocuments, scaledCounts } from '../../src/synthetic/copilot.js';
import { startBlobTestServer, type BlobTestServer, type TestContainer } from '../../test/support/azurite.js';
import { cosmosClient, startCosmosTestServer, type CosmosTestServer } from '../../test/support/cosmos.js';
import { startMongoTestServer, type MongoTestServer } from '../../test/support/ferretdb.js';
import { deprovision, provisionFromLayout, type ProvisionedTarget } from './provision.js';
import { mergeLine, seconds, writeReport, type CollectionCheck, type DrillReport, type DrillRun, type ShardsReport, type TargetCheck } from './report.js';
import { overallExitCode, runStages, StageFailure, type RunnableStage, type StageOutcome, type StageResult } from './runner.js';
import { drillExitCode, exitWords, exportShards, mergeShardExports, stderrTail } from './shards.js';
import { DR_DRILL_STAGES, type StageId } from './stages.js';

export const INJECTABLE_FAULTS = ['corrupt-archive', 'lose-documents', 'schema-drift', 'fail-shard'] as const;
export type InjectedFault = (typeof INJECTABLE_FAULTS)[number];

export interface DrillOptions {
  /** Reports go here; scratch data under `<outputDir>/work` (removed unless keepData). */
  outputDir: string;
  /** About this many synthetic documents, in the proportions of a real deployment. */
  documents: number;
  seed: number;
  /** Also restore into FerretDB (a MongoDB leg) and verify it. */
  mongo: boolean;
  /**
   * Export processes: 1 exports in the drill's own process, as before; N > 1 runs N
   * `docferry export --shard I/N` CLI processes at once, pushes each shard under
   * `<prefix>-shard-I-of-N` and merges them after the pull (pipelines/github/promote.yml's fan-out).
   */
  shards: number;
  /** A fault the drill must catch: proves the drill fails when the archive or the restore is wrong. */
  inject?: InjectedFault;
  keepData: boolean;
  log: (line: string) => void;
}

/** The shard whose process --inject fail-shard kills: the last one. */
export function failingShard(shards: number): number {
  return shards;
}

/** Documents deleted from the target by --inject lose-documents. */
const LOST_DOCUMENTS = 3;

interface DrillState {
  source?: CosmosTestServer;
  blob?: BlobTestServer;
  container?: TestContainer;
  archive?: ArchiveTarget;
  exportDir: string;
  /** What was pushed: one export, or one per shard. */
  pushed: { exportDir: string; prefix: string }[];
  shards?: ShardsReport;
  /** The shards' export directories, in shard order. */
  shardDirs: string[];
  /** The archive prefix before any `-shard-I-of-N`. */
  archivePrefix: string;
  pulled?: ArchivePullResult;
  layout?: LayoutRef;
  target?: CosmosTestServer;
  provisioned?: ProvisionedTarget;
  mongo?: MongoTestServer;
  verification: TargetCheck[];
  /** The data stages' runs with what their reports chart. */
  runs: DrillRun[];
  /** The drill's warning lines, fed every engine event. */
  warnings: EventSink;
}

/**
 * The events of one engine run of a data stage: the drill's warning lines, and a recording for
 * the run's charts (src/report), kept in the drill report once the run hands back its summary.
 */
function watched(state: DrillState, stage: string, label: string): { events: EventSink; done(summary: RunSummary): void } {
  const recorder = reportRecorder();
  return {
    events: (e) => {
      state.warnings(e);
      recorder.events(e);
    },
    done: (summary) => void state.runs.push({ stage, label, report: recorder.report(summary) }),
  };
}

function cosmosSpec(server: CosmosTestServer): DatabaseSpec {
  return { type: 'cosmos', connection: { endpoint: server.endpoint, key: server.key } };
}

function failIfNotOk(summary: RunSummary, what: string): void {
  if (summary.exitCode === ExitCode.ok) return;
  const failed = summary.collections.filter((c) => c.status === 'failed').map((c) => `${c.database}.${c.collection}: ${c.error ?? 'failed'}`);
  const rejected = summary.totals.rejected > 0 ? [`${summary.totals.rejected} documents rejected${summary.rejectsDir ? ` (see ${summary.rejectsDir})` : ''}`] : [];
  throw new StageFailure(`${what} did not complete: ${[...failed, ...rejected].join('; ') || `exit ${summary.exitCode}`}`, summary.exitCode as ExitCodeValue);
}

function manifestTotal(manifest: ArchivePullResult['manifest']): number {
  return Object.values(manifest.document_counts ?? {}).reduce((a, n) => a + Math.max(0, n), 0);
}

export async function runDrill(o: DrillOptions): Promise<DrillReport> {
  const startedAt = new Date();
  const work = join(o.outputDir, 'work');
  await mkdir(work, { recursive: true });
  const warnings: EventSink = (e: EngineEvent) => {
    if (e.type === 'warning') o.log(`  warning: ${e.message}`);
  };
  const stamp = startedAt.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const state: DrillState = { exportDir: join(work, 'export'), pushed: [], shardDirs: [], archivePrefix: `dr-drill/${stamp}`, verification: [], runs: [], warnings };
  if (o.shards > 1) state.shards = { count: o.shards, plan: 'Cosmos DB feed ranges, which every shard reads from the source itself (no --shard-plan file)', runs: [], merge: { status: 'not run' } };
  const hooks = {
    onStart: (s: RunnableStage) => o.log(`> ${s.id}: ${s.title}`),
    onEnd: (r: StageResult) =>
      o.log(`  ${r.id}: ${r.status}${r.status === 'skipped' ? '' : ` in ${(r.durationMs / 1000).toFixed(2)} s`}${r.documents !== undefined ? `, ${r.documents} documents` : ''}${r.error ? `\n  ${r.error.replaceAll('\n', '\n  ')}` : r.detail ? ` (${r.detail})` : ''}`),
  };

  // --- setup: the production side the drill recovers from -------------------------------------
  const setupStages: RunnableStage[] = [
    {
      id: 'seed',
      title: 'Seed a "production" Cosmos DB with synthetic data',
      always: false,
      run: async () => {
        state.source = await startCosmosTestServer();
        state.blob = await startBlobTestServer({ local: true });
        state.container = await state.blob.createContainer();
        state.archive = { containerUrl: state.container.url, connectionString: state.blob.connectionString };
        const n = await seedSource(state.source, o);
        return { documents: n, detail: `source ${state.source.endpoint}, archive container ${state.container.name}` };
      },
    },
    {
      id: 'export',
      title: 'Export the source',
      always: false,
      run: async () => {
        if (state.shards) return exportStageSharded(state, work, o);
        const run = watched(state, 'export', 'the source into an export directory');
        const summary = await runExport({ source: cosmosSpec(state.source!), layout: { layout: loadLayout(), source: defaultLayoutPath }, outputDir: state.exportDir, events: run.events });
        run.done(summary);
        failIfNotOk(summary, 'The export');
        return { documents: summary.totals.written };
      },
    },
    {
      id: 'push',
      title: 'Push the export to the archive',
      always: false,
      run: async () => {
        if (state.shards) return pushShards(state);
        const pushed = await archivePush({ exportDir: state.exportDir, target: state.archive!, prefix: state.archivePrefix, events: warnings });
        state.pushed.push({ exportDir: state.exportDir, prefix: pushed.prefix });
        return { detail: `${pushed.files} files, ${pushed.bytes} bytes under ${pushed.prefix}` };
      },
    },
  ];
  if (o.inject === 'corrupt-archive') {
    setupStages.push({
      id: 'inject',
      title: 'Corrupt one archived file (--inject corrupt-archive)',
      always: false,
      run: () => corruptArchivedFile(state),
    });
  }
  const setup = await runStages(setupStages, hooks);
  const setupFailed = setup.some((r) => r.status === 'failed');

  // --- the DR stages, in the order of scripts/drill/stages.ts ---------------------------------
  let report: DrillReport | undefined;
  const impl: Record<StageId, (() => Promise<StageOutcome>) | undefined> = {
    pull: () => (state.shards ? pullShards(state, work, warnings) : pull(state, work, warnings)),
    provision: () => provision(state, o),
    schema: () => schemaGate(state),
    import: () => importStage(state, o),
    verify: () => verify(state, o),
    teardown: () => teardown(state, o),
    report: async () => {
      report!.finishedAt = new Date().toISOString();
      const files = await writeReport(o.outputDir, report!);
      return { detail: `${files.markdown}, ${files.html}, ${files.json}` };
    },
    export: undefined,
    push: undefined,
    raise: undefined,
    restore: undefined,
  };
  const drStages: RunnableStage[] = DR_DRILL_STAGES.map((def) => {
    const run = impl[def.id];
    if (!run) throw new Error(`scripts/drill/dr.ts has no implementation of the DR stage ${def.id}`);
    return { ...def, run };
  });
  // The report stage writes the report, so it must see every earlier stage's result and its own.
  const stages: StageResult[] = [];
  report = {
    startedAt: startedAt.toISOString(),
    finishedAt: '',
    passed: false,
    exitCode: ExitCode.failed,
    inject: o.inject ?? null,
    archive: { container: state.container?.url ?? '(not created)' },
    setup,
    stages,
    verification: state.verification,
    runs: state.runs,
    ...(state.shards ? { shards: state.shards } : {}),
  };
  const reportHooks = {
    onStart: (s: RunnableStage) => {
      hooks.onStart(s);
      if (s.id === 'report') {
        if (state.pulled) report!.archive.prefix = state.pulled.prefix;
        report!.exitCode = overallExitCode([...setup, ...stages]);
        report!.passed = report!.exitCode === ExitCode.ok;
        // The report stage's own row, filled in once it has written the files.
        stages.push({ id: s.id, title: s.title, status: 'ok', durationMs: 0 });
      }
    },
    onEnd: (r: StageResult) => {
      hooks.onEnd(r);
      if (r.id === 'report') stages[stages.length - 1] = r;
      else stages.push(r);
    },
  };
  try {
    await runStages(drStages, reportHooks, setupFailed);
  } finally {
    await Promise.allSettled([state.source?.stop(), state.blob?.stop()]);
    if (!o.keepData) await rm(work, { recursive: true, force: true });
  }
  report.exitCode = overallExitCode([...setup, ...stages]);
  report.passed = report.exitCode === ExitCode.ok;
  return report;
}

/** The source provisioned from the default layout, as production is, and filled with synthetic documents. */
async function seedSource(source: CosmosTestServer, o: DrillOptions): Promise<number> {
  const client = cosmosClient(source);
  try {
    await provisionFromLayout(client, loadLayout());
    const counts = scaledCounts(o.documents);
    let n = 0;
    for (const c of [...COPILOT_COLLECTIONS, ...AUTH_COLLECTIONS]) {
      const container = client.database(databaseOf(c)).container(c);
      const docs = [...generateDocuments(c, counts[c], { seed: o.seed, flavor: 'cosmos' })];
      // Single creates, a few at a time: bulk calls of the SDK wait about a second each.
      await forEachLimit(docs, 16, async (doc) => {
        await container.items.create(doc);
      });
      n += docs.length;
    }
    return n;
  } finally {
    client.dispose();
  }
}

async function corruptArchivedFile(state: DrillState): Promise<StageOutcome> {
  // The largest file of every pushed export (of every shard, when sharded).
  const candidates: { prefix: string; path: string; bytes: number }[] = [];
  for (const p of state.pushed) {
    const manifest = JSON.parse(await readFile(join(p.exportDir, 'manifest.json'), 'utf8')) as Manifest;
    for (const f of manifest.files) if (f.bytes > 0) candidates.push({ prefix: p.prefix, path: f.path, bytes: f.bytes });
  }
  const victim = candidates.sort((a, b) => b.bytes - a.bytes)[0];
  if (!victim) throw new DocferryError('The export has no non-empty file to corrupt.');
  const container = new ContainerClient(state.blob!.connectionString, state.container!.name);
  const blob = container.getBlockBlobClient(`${victim.prefix}${victim.path}`);
  const props = await blob.getProperties();
  const bytes = await blob.downloadToBuffer();
  // One byte changed, same length and metadata: what bit rot or a careless hand leaves behind.
  const at = Math.floor(bytes.length / 2);
  bytes[at] = bytes[at] === 0x41 ? 0x42 : 0x41;
  await blob.uploadData(bytes, { metadata: props.metadata ?? {}, blobHTTPHeaders: { blobContentType: props.contentType ?? 'application/x-ndjson' } });
  return { detail: `changed byte ${at} of ${victim.prefix}${victim.path}` };
}

/** The layout the restore uses: the one recorded in the pulled export's manifest. */
function takeLayout(state: DrillState): void {
  const m = state.pulled!.manifest;
  const layout: Layout = isCurrentManifest(m) ? m.layout.document : loadLayout();
  state.layout = { layout, source: isCurrentManifest(m) ? `the archive's manifest (${m.layout.source})` : defaultLayoutPath };
}

async function pull(state: DrillState, work: string, events: EventSink): Promise<StageOutcome> {
  if (!state.archive) throw new DocferryError('No archive to pull from.');
  // No prefix: the newest complete export, as a real drill takes it.
  state.pulled = await archivePull({ target: state.archive, destDir: join(work, 'pulled'), events });
  const m = state.pulled.manifest;
  takeLayout(state);
  return { documents: manifestTotal(m), detail: `${state.pulled.prefix}: ${state.pulled.files} files, ${state.pulled.bytes} bytes, exported ${m.exported_at ?? '?'}` };
}

/**
 * --shards N: N `docferry export --shard I/N` processes at once, each into its own directory, as
 * the workflow's matrix of export jobs. Every shard runs to its end; one that failed fails the
 * stage, named, after the others finished.
 */
async function exportStageSharded(state: DrillState, work: string, o: DrillOptions): Promise<StageOutcome> {
  const shards = state.shards!;
  const dir = join(work, 'shards');
  await mkdir(dir, { recursive: true });
  const results = await exportShards({
    count: shards.count,
    workDir: dir,
    source: { endpoint: state.source!.endpoint, key: state.source!.key },
    ...(o.inject === 'fail-shard' ? { killShard: failingShard(shards.count) } : {}),
  });
  shards.runs.push(...results.map((r) => r.run));
  state.shardDirs = results.map((r) => r.exportDir);
  for (const r of results) if (r.report) state.runs.push({ stage: 'export', label: `shard ${r.run.shard} of the source (its own docferry export process)`, report: r.report });
  const failed = results.filter((r) => r.run.status === 'failed');
  if (failed.length > 0) {
    throw new StageFailure(`${failed.length} of ${shards.count} shard exports failed: ${failed.map((r) => r.run.error).join('; ')}`, drillExitCode(failed[0]!.run.exitCode));
  }
  const documents = results.reduce((n, r) => n + (r.run.documents ?? 0), 0);
  return {
    documents,
    detail: `${shards.count} docferry export --shard I/${shards.count} processes at once: ${results.map((r) => `${r.run.shard} ${r.run.documents} documents in ${seconds(r.run.durationMs)}`).join(', ')}`,
  };
}

/** Each shard's export under `<prefix>-shard-I-of-N`, the workflow's scheme. */
async function pushShards(state: DrillState): Promise<StageOutcome> {
  const shards = state.shards!;
  const pushed = await Promise.all(
    shards.runs.map(async (r, i) => {
      const result = await archivePush({ exportDir: state.shardDirs[i]!, target: state.archive!, prefix: `${state.archivePrefix}-shard-${r.index}-of-${shards.count}`, events: state.warnings });
      r.prefix = result.prefix;
      return result;
    }),
  );
  pushed.forEach((p, i) => state.pushed.push({ exportDir: state.shardDirs[i]!, prefix: p.prefix }));
  const files = pushed.reduce((n, p) => n + p.files, 0);
  const bytes = pushed.reduce((n, p) => n + p.bytes, 0);
  return { detail: `${pushed.length} shard exports, ${files} files, ${bytes} bytes under ${pushed.map((p) => p.prefix).join(', ')}` };
}

/**
 * --shards N: every shard's archive by its prefix (as the workflow's final job pulls
 * `<prefix>-shard-I-of-N`), each checked against its manifest, then one merged export from a
 * `docferry manifest merge` process, which the rest of the drill restores as any export.
 */
async function pullShards(state: DrillState, work: string, events: EventSink): Promise<StageOutcome> {
  if (!state.archive) throw new DocferryError('No archive to pull from.');
  const shards = state.shards!;
  const pulls = await Promise.all(
    shards.runs.map((r) => {
      if (!r.prefix) throw new DocferryError(`Shard ${r.shard} was not pushed: nothing to pull.`);
      return archivePull({ target: state.archive!, prefix: r.prefix, destDir: join(work, 'pulled-shards', String(r.index)), events });
    }),
  );
  const merged = join(work, 'pulled');
  const m = await mergeShardExports(
    pulls.map((p) => p.dir),
    merged,
  );
  await rm(join(work, 'pulled-shards'), { recursive: true, force: true });
  if (!m.result) {
    const said = stderrTail(m.process.stderr);
    shards.merge = { status: 'failed', exitCode: m.process.code, durationMs: m.process.durationMs, error: said || exitWords({ exitCode: m.process.code, signal: m.process.signal }) };
    throw new StageFailure(`docferry manifest merge of the ${shards.count} shard exports failed (${exitWords({ exitCode: m.process.code, signal: m.process.signal })})${said ? `: ${said}` : ''}`, drillExitCode(m.process.code));
  }
  shards.merge = { status: 'ok', exitCode: m.process.code, durationMs: m.process.durationMs, documents: m.result.documents, files: m.result.files.length };
  const manifest = JSON.parse(await readFile(join(merged, 'manifest.json'), 'utf8')) as Manifest;
  const files = pulls.reduce((n, p) => n + p.files, 0);
  const bytes = pulls.reduce((n, p) => n + p.bytes, 0);
  state.pulled = {
    dir: merged,
    prefix: `${state.archivePrefix}-shard-{1..${shards.count}}-of-${shards.count}/`,
    manifest,
    files: m.result.files.length + 1,
    bytes: m.result.files.reduce((n, f) => n + f.bytes, 0),
    container: pulls[0]!.container,
    durationMs: pulls.reduce((n, p) => Math.max(n, p.durationMs), 0) + m.process.durationMs,
    warnings: pulls.flatMap((p) => p.warnings),
  };
  takeLayout(state);
  return {
    documents: manifestTotal(manifest),
    detail: `${shards.count} shard archives (${files} files, ${bytes} bytes), exported ${manifest.exported_at ?? '?'}; docferry manifest merge: ${mergeLine(shards.merge, shards.count)}`,
  };
}

async function provision(state: DrillState, o: DrillOptions): Promise<StageOutcome> {
  state.target = await startCosmosTestServer();
  const client = cosmosClient(state.target);
  try {
    state.provisioned = await provisionFromLayout(client, state.layout!.layout);
  } finally {
    client.dispose();
  }
  const parts = [`${state.provisioned.databases.length} databases, ${state.provisioned.containers.length} containers from the layout at ${state.target.endpoint}`];
  if (o.inject === 'schema-drift') parts.push(await driftSchema(state));
  if (o.mongo) {
    state.mongo = await startMongoTestServer();
    parts.push('FerretDB for the MongoDB leg');
  }
  return { detail: parts.join('; ') };
}

/**
 * The pipelines' schema gate (pipelines/scripts/layout-gate.sh runs `docferry layout diff` through
 * the management plane): the live target is read back and compared with the layout before any
 * document is written, so a target that drifted from what Pulumi provisions is caught here and not
 * by users of the restored data. The drill reads it through the data plane, as the local server has no ARM.
 */
async function schemaGate(state: DrillState): Promise<StageOutcome> {
  const client = cosmosClient(state.target!);
  try {
    const notes: string[] = [];
    const live = await captureCosmosDatabases(client, notes);
    const differences = layoutDifferences(state.layout!.layout, live, { cosmos: true, mongo: false });
    if (differences.length > 0) {
      const listed = differences.map((d) => `${d.where} ${d.what} (${d.detail})`).join('; ');
      throw new StageFailure(`The target differs from the layout (${state.layout!.source}) in ${differences.length} place${differences.length === 1 ? '' : 's'}: ${listed}`, ExitCode.differences);
    }
    const containers = state.layout!.layout.databases.reduce((n, db) => n + db.containers.length, 0);
    return { detail: `${containers} containers match the layout (${state.layout!.source})` };
  } finally {
    client.dispose();
  }
}

/** --inject schema-drift: a target changed behind Pulumi's back (here: a TTL on one container), which the gate must catch. */
async function driftSchema(state: DrillState): Promise<string> {
  const db = state.layout!.layout.databases.find((d) => d.containers.some((c) => c.defaultTtl === undefined));
  const c = db?.containers.find((x) => x.defaultTtl === undefined);
  if (!db || !c) throw new DocferryError('--inject schema-drift needs a container without a TTL in the layout.');
  const client = cosmosClient(state.target!);
  try {
    const container = client.database(db.name).container(c.name);
    const { resource } = await container.read();
    await container.replace({ ...resource!, defaultTtl: 3600 });
  } finally {
    client.dispose();
  }
  return `then set a TTL of 3600 s on ${db.name}.${c.name} (--inject schema-drift)`;
}

async function importStage(state: DrillState, o: DrillOptions): Promise<StageOutcome> {
  const run = watched(state, 'import', 'the archive into Cosmos DB');
  const summary = await runImport({ exportDir: state.pulled!.dir, target: cosmosSpec(state.target!), layout: state.layout!, mode: 'upsert', rejectsDir: join(o.outputDir, 'rejects-cosmos'), events: run.events });
  run.done(summary);
  failIfNotOk(summary, 'The import into Cosmos DB');
  const details = [`Cosmos DB: ${summary.totals.written} written`];
  if (state.mongo) {
    const leg = watched(state, 'import', 'the archive into MongoDB');
    const m = await runImport({ exportDir: state.pulled!.dir, target: { type: 'mongodb', uri: state.mongo.uri }, layout: state.layout!, mode: 'upsert', rejectsDir: join(o.outputDir, 'rejects-mongodb'), events: leg.events });
    leg.done(m);
    failIfNotOk(m, 'The import into MongoDB');
    details.push(`MongoDB: ${m.totals.written} written`);
  }
  if (o.inject === 'lose-documents') details.push(await loseDocuments(state));
  return { documents: summary.totals.written, detail: details.join('; ') };
}

/** --inject lose-documents: a restore that silently lost documents, which the verify must catch. */
async function loseDocuments(state: DrillState): Promise<string> {
  const m = state.pulled!.manifest;
  const file = isCurrentManifest(m) ? m.files.find((f) => f.documents >= LOST_DOCUMENTS) : undefined;
  if (!file) throw new DocferryError(`No collection with ${LOST_DOCUMENTS} documents to lose.`);
  const client = cosmosClient(state.target!);
  try {
    const container = client.database(file.database).container(file.collection);
    const { resources } = await container.items.query<{ id: string }>(`SELECT TOP ${LOST_DOCUMENTS} c.id FROM c`).fetchAll();
    const { resource } = await container.read();
    const pkPath = resource?.partitionKey?.paths?.[0] ?? '/id';
    if (pkPath !== '/id') throw new DocferryError(`--inject lose-documents expects ${file.database}.${file.collection} keyed by /id, not ${pkPath}.`);
    for (const r of resources) await container.item(r.id, r.id).delete();
    return `then deleted ${resources.length} documents from ${file.database}.${file.collection} (--inject lose-documents)`;
  } finally {
    client.dispose();
  }
}

async function verifyOne(state: DrillState, target: string, right: VerifyEndpoint, reportFile: string): Promise<TargetCheck> {
  const manifest = state.pulled!.manifest;
  const run = watched(state, 'verify', `${target === 'cosmos' ? 'Cosmos DB' : 'MongoDB'} against the archive`);
  const summary = await runVerify({ left: { type: 'dir', path: state.pulled!.dir }, right, layout: state.layout!, reportFile, events: run.events });
  run.done(verifyRunSummary(summary));
  const collections: CollectionCheck[] = summary.collections.map((c) => {
    const expected = manifest.document_counts?.[countKey(c.database, c.collection)] ?? -1;
    return {
      database: c.database,
      collection: c.collection,
      manifest: expected,
      archive: c.leftCount,
      target: c.rightCount,
      missing: c.missingTotal,
      extra: c.extraTotal,
      differing: c.differingTotal,
      // Equal content, and the count the manifest promised: an export that lost documents before it was archived fails too.
      equal: c.equal && c.leftCount === expected && c.rightCount === expected,
    };
  });
  // Every collection the manifest lists must have been compared.
  for (const key of Object.keys(manifest.document_counts ?? {})) {
    if (!collections.some((c) => countKey(c.database, c.collection) === key)) {
      const [database, collection] = [key.slice(0, key.indexOf('.')), key.slice(key.indexOf('.') + 1)];
      collections.push({ database, collection, manifest: manifest.document_counts![key]!, archive: -1, target: -1, missing: 0, extra: 0, differing: 0, equal: false });
    }
  }
  return { target, collections, reportFile };
}

async function verify(state: DrillState, o: DrillOptions): Promise<StageOutcome> {
  const checks = [await verifyOne(state, 'cosmos', cosmosSpec(state.target!), join(o.outputDir, 'verify-cosmos.ndjson'))];
  if (state.mongo) checks.push(await verifyOne(state, 'mongodb', { type: 'mongodb', uri: state.mongo.uri }, join(o.outputDir, 'verify-mongodb.ndjson')));
  state.verification.push(...checks);
  const bad = checks.flatMap((ch) => ch.collections.filter((c) => !c.equal).map((c) => `${ch.target} ${c.database}.${c.collection} (manifest ${c.manifest}, target ${c.target}, missing ${c.missing}, extra ${c.extra}, differing ${c.differing})`));
  const documents = checks[0]!.collections.reduce((a, c) => a + Math.max(0, c.target), 0);
  if (bad.length > 0) throw new StageFailure(`The restored target differs from the archive: ${bad.join('; ')}. Details: ${checks.map((c) => c.reportFile).join(', ')}`, ExitCode.differences);
  return { documents, detail: `${checks.map((ch) => `${ch.target}: ${ch.collections.length} collections equal to the archive`).join('; ')}` };
}

async function teardown(state: DrillState, o: DrillOptions): Promise<StageOutcome> {
  const done: string[] = [];
  const errors: string[] = [];
  const attempt = async (what: string, fn: () => Promise<void>) => {
    try {
      await fn();
      done.push(what);
    } catch (err) {
      errors.push(`${what}: ${(err as Error).message}`);
    }
  };
  if (state.target) {
    const target = state.target;
    if (state.provisioned) {
      await attempt(`deleted ${state.provisioned.databases.length} databases`, async () => {
        const client = cosmosClient(target);
        try {
          await deprovision(client, state.provisioned!);
        } finally {
          client.dispose();
        }
      });
    }
    await attempt('stopped the ephemeral Cosmos DB', () => target.stop());
  }
  if (state.mongo) await attempt('stopped FerretDB', () => state.mongo!.stop());
  if (state.pulled && !o.keepData) await attempt('removed the pulled export', () => rm(state.pulled!.dir, { recursive: true, force: true }));
  if (errors.length > 0) throw new DocferryError(`Teardown incomplete: ${errors.join('; ')}`);
  return { detail: done.length > 0 ? done.join(', ') : 'nothing was provisioned' };
}
