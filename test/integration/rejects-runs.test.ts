import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { expect } from 'chai';
import { runCli } from '../support/cli.js';
import { readAllCosmos, startCosmosTestServer, testLayout, type CosmosTestServer } from '../support/cosmos.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

interface RejectLine {
  database: string;
  collection: string;
  source_file?: string;
  line?: number;
  id?: string;
  reason: string;
  document?: Record<string, unknown>;
  raw?: string;
}

const RUN_ID = /^\d{8}T\d{6}Z-[0-9a-f]{4}$/;

async function rejectLines(file: string): Promise<RejectLine[]> {
  return (await readFile(file, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as RejectLine);
}

async function writeLines(file: string, lines: RejectLine[]): Promise<void> {
  await writeFile(file, lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
}

/**
 * Each run has its own rejects file (issue 14, item 8): importing one bad export twice gave one
 * file of 24 lines for 12 rejects. And the rejected documents, fixed in the file, are imported
 * with `import --from-rejects` into the same target, with the import's rules.
 */
describe('rejects: one file per run, and fixed rejects imported again', function () {
  this.timeout(120_000);
  let target: CosmosTestServer;
  let work: string;
  let layoutFile: string;
  let db: string;
  let exportDir: string;

  const importArgs = (extra: string[] = []) => ['import', '--dest-type', 'cosmos', '--cosmos-endpoint', target.endpoint, '--cosmos-key', target.key, '--layout', layoutFile, '--export-dir', exportDir, '--json', ...extra];

  before(async () => {
    target = await startCosmosTestServer();
    db = `copilot${target.suffix}`;
    work = await tempDir();
    layoutFile = join(work, 'layout.json');
    await writeFile(layoutFile, JSON.stringify(testLayout(target)));
    exportDir = join(work, 'bad-export');
    await mkdir(join(exportDir, db), { recursive: true });
    const lines = ['{"id":"good1","n":10}', '{"id":"a/1","n":1}', '{"id":"good2","n":20}', '{"id":"b/2","n":2.5}', '{"id": "c3", "n":', '{"id":"good3","n":30}'];
    await writeFile(join(exportDir, db, 'sources.json'), `${lines.join('\n')}\n`);
    await writeFile(join(exportDir, 'manifest.json'), JSON.stringify({ exported_at: '2026-02-12T17:00:00Z', source_type: 'cosmos', databases: { [db]: ['sources'] }, document_counts: { [`${db}.sources`]: lines.length } }));
  });

  after(async () => {
    await target.stop();
    await removeTempDirs();
  });

  it('two imports of the same bad export write two rejects files, each with its run\'s 3 rejects, and the summary names each', async () => {
    const first = await runCli(importArgs());
    const second = await runCli(importArgs());
    expect([first.code, second.code], `${first.stderr}\n${second.stderr}`).to.deep.equal([3, 3]);
    const dirs = [JSON.parse(first.stdout).rejectsDir as string, JSON.parse(second.stdout).rejectsDir as string];
    expect(dirs[0]).to.not.equal(dirs[1]);
    for (const d of dirs) {
      expect(join(d, '..')).to.equal(join(exportDir, '_rejects'));
      expect(basename(d)).to.match(RUN_ID);
      const lines = await rejectLines(join(d, `${db}.sources.ndjson`));
      expect(lines.map((l) => l.line)).to.deep.equal([2, 4, 5]);
    }
    expect((await readdir(join(exportDir, '_rejects'))).sort()).to.deep.equal(dirs.map((d) => basename(d)).sort());
  });

  it('--from-rejects imports the lines fixed in place (document or raw), with the same type rules, and sends those still bad to a new rejects file', async () => {
    const runs = await readdir(join(exportDir, '_rejects'));
    const file = join(exportDir, '_rejects', runs[0]!, `${db}.sources.ndjson`);
    const [a, b, c] = await rejectLines(file);
    expect(a!.document).to.deep.equal({ id: 'a/1', n: { $numberInt: '1' } });
    expect(c!.raw).to.equal('{"id": "c3", "n":');
    // The user fixes a's id in its document and c's line in raw; b stays as it was.
    await writeLines(file, [{ ...a!, document: { ...a!.document, id: 'a1' } }, b!, { ...c!, raw: '{"id": "c3", "n": 3}' }]);

    const r = await runCli(importArgs(['--from-rejects', file]));
    expect(r.code, r.stderr).to.equal(3);
    const summary = JSON.parse(r.stdout);
    expect(summary.totals).to.deep.equal({ read: 3, written: 2, skipped: 0, rejected: 1 });
    const docs = new Map((await readAllCosmos(target, db, 'sources')).map((d) => [d.id, d]));
    expect(docs.get('a1')?.n).to.equal(1);
    expect(docs.get('c3')?.n).to.equal(3);
    expect(docs.has('b/2')).to.equal(false);

    expect(summary.rejectsDir).to.not.equal(join(exportDir, '_rejects', runs[0]!));
    const still = await rejectLines(join(summary.rejectsDir, `${db}.sources.ndjson`));
    expect(still).to.have.length(1);
    expect(still[0]).to.include({ database: db, collection: 'sources', source_file: file, line: 2 });
    expect(still[0]!.reason).to.include('"/"');
    expect(await rejectLines(file)).to.have.length(3);

    // Fixed in a copy this time, and replayed from there: the document's double stays 2.5.
    const copy = join(work, 'fixed.ndjson');
    await writeLines(copy, [{ ...still[0]!, document: { ...still[0]!.document, id: 'b2' } }]);
    const again = await runCli(importArgs(['--from-rejects', copy]));
    expect(again.code, again.stderr).to.equal(0);
    expect((await readAllCosmos(target, db, 'sources')).find((d) => d.id === 'b2')?.n).to.equal(2.5);
  });

  it('--from-rejects refuses, before any write, a file whose lines do not say where they go', async () => {
    const bad = join(work, 'broken.ndjson');
    await writeFile(bad, '{"document":{"id":"x"}}\nnot json\n');
    const r = await runCli(importArgs(['--from-rejects', bad]));
    expect(r.code).to.equal(4);
    expect(r.stderr).to.include(`${bad}:1`);
    expect(r.stderr).to.include('nothing was written');
  });
});
