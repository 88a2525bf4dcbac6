/**
 * `npm run drill` as CI runs it: a child process on local servers. A healthy run passes and
 * reports every stage; a corrupted archive and a restore that lost documents each make it fail
 * with the right exit code, after tearing down and reporting. `--shards N` exports as N shard
 * processes and merges them; a shard that dies fails the drill, named.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { DR_DRILL_STAGES } from '../../scripts/drill/stages.js';
import type { DrillReport, ShardRun } from '../../scripts/drill/report.js';
import { repoRoot } from '../support/cli.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

interface DrillRun {
  code: number;
  stdout: string;
  stderr: string;
  dir: string;
}

function runDrill(args: string[]): Promise<DrillRun> {
  return (async () => {
    const dir = await tempDir('docferry-drill-');
    return new Promise<DrillRun>((resolve, reject) => {
      const child = spawn('npm', ['run', '--silent', 'drill', '--', '--output-dir', dir, ...args], {
        cwd: repoRoot,
        env: { PATH: process.env.PATH, HOME: process.env.HOME },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, dir }));
    });
  })();
}

async function readReport(run: DrillRun): Promise<{ json: DrillReport; markdown: string }> {
  const json = JSON.parse(await readFile(join(run.dir, 'drill-report.json'), 'utf8')) as DrillReport;
  const markdown = await readFile(join(run.dir, 'drill-report.md'), 'utf8');
  return { json, markdown };
}

const STAGE_IDS = DR_DRILL_STAGES.map((s) => s.id);

describe('npm run drill', function () {
  this.timeout(180_000);

  after(removeTempDirs);

  describe('on a healthy archive, with the MongoDB leg', () => {
    let run: DrillRun;
    let report: DrillReport;
    let markdown: string;

    before(async () => {
      run = await runDrill(['--documents', '400', '--mongo']);
      ({ json: report, markdown } = await readReport(run));
    });

    it('exits 0 and says it passed', () => {
      expect(run.code, run.stderr).to.equal(0);
      expect(report.passed).to.equal(true);
      expect(run.stdout).to.contain('DR drill PASSED');
    });

    it('runs the setup, then the stages of scripts/drill/stages.ts in their order, each ok with its time', () => {
      expect(report.setup.map((s) => [s.id, s.status])).to.deep.equal([['seed', 'ok'], ['export', 'ok'], ['push', 'ok']]);
      expect(report.stages.map((s) => s.id)).to.deep.equal(STAGE_IDS);
      for (const s of report.stages) {
        expect(s.status, `${s.id}: ${s.error ?? ''}`).to.equal('ok');
        expect(s.durationMs, s.id).to.be.a('number').and.to.be.at.least(0);
      }
    });

    it('moves every seeded document: seeded = exported = pulled = imported = verified', () => {
      const seeded = report.setup.find((s) => s.id === 'seed')!.documents!;
      expect(seeded).to.be.greaterThan(300);
      expect(report.setup.find((s) => s.id === 'export')!.documents).to.equal(seeded);
      for (const id of ['pull', 'import', 'verify']) expect(report.stages.find((s) => s.id === id)!.documents, id).to.equal(seeded);
    });

    it('checks the provisioned target against the layout before the import (the schema gate)', () => {
      expect(report.stages.find((s) => s.id === 'schema')!.detail).to.match(/^10 containers match the layout/);
    });

    it('verifies both targets collection by collection against the manifest', () => {
      expect(report.verification.map((v) => v.target)).to.deep.equal(['cosmos', 'mongodb']);
      for (const v of report.verification) {
        expect(v.collections).to.have.length(8);
        for (const c of v.collections) {
          expect(c.equal, `${v.target} ${c.database}.${c.collection}`).to.equal(true);
          expect(c.target).to.equal(c.manifest);
          expect(c.archive).to.equal(c.manifest);
          expect(c.missing + c.extra + c.differing).to.equal(0);
        }
      }
    });

    it('prints and writes the per-stage report as markdown', () => {
      expect(markdown).to.contain('Result: **PASSED** (exit 0)');
      let at = -1;
      for (const id of STAGE_IDS) {
        const row = markdown.indexOf(`| ${id} |`, at + 1);
        expect(row, `row of ${id} after the previous stage`).to.be.greaterThan(at);
        at = row;
      }
      expect(markdown).to.contain('| copilot.chunks |');
      for (const id of STAGE_IDS) expect(run.stdout).to.match(new RegExp(`^drill\\s+${id}\\s+ok\\s`, 'm'));
    });

    it('charts each data stage\'s runs (export, import and verify, per target) in the Markdown and HTML reports', async () => {
      expect(report.runs.map((r) => r.stage)).to.deep.equal(['export', 'import', 'import', 'verify', 'verify']);
      for (const r of report.runs) expect(r.report.docsPerSecond.flatMap((s) => s.points), `${r.stage}: ${r.label}`).to.not.be.empty;
      const sections = markdown.split(/^### /m).slice(1).filter((part) => /^(export|import|verify): /.test(part));
      expect(sections).to.have.length(5);
      for (const part of sections) expect(part, part.split('\n')[0]).to.match(/```mermaid\nxychart-beta\n/);
      const html = await readFile(join(run.dir, 'drill-report.html'), 'utf8');
      const runs = html.split('<section class="run">').slice(1);
      expect(runs).to.have.length(5);
      for (const part of runs) expect(part).to.match(/<svg class="chart"[\s\S]*<path class="series"/);
    });

    it('tears down and leaves no copy of the data behind', () => {
      expect(report.stages.find((s) => s.id === 'teardown')!.detail).to.contain('deleted 2 databases');
      expect(existsSync(join(run.dir, 'work'))).to.equal(false);
    });
  });

  describe('on a corrupted archive', () => {
    let run: DrillRun;
    let report: DrillReport;

    before(async () => {
      run = await runDrill(['--documents', '200', '--inject', 'corrupt-archive']);
      ({ json: report } = await readReport(run));
    });

    it('fails the pull with exit 4 (input refused) and says which file and why', () => {
      expect(run.code).to.equal(4);
      expect(report.passed).to.equal(false);
      const pull = report.stages.find((s) => s.id === 'pull')!;
      expect(pull.status).to.equal('failed');
      expect(pull.error).to.match(/does not match the archived manifest/);
      expect(pull.error).to.contain('sha256');
      expect(run.stdout).to.contain('DR drill FAILED');
    });

    it('skips what depends on the archive, but still tears down and reports', () => {
      expect(report.stages.map((s) => [s.id, s.status])).to.deep.equal([
        ['pull', 'failed'],
        ['provision', 'skipped'],
        ['schema', 'skipped'],
        ['import', 'skipped'],
        ['verify', 'skipped'],
        ['teardown', 'ok'],
        ['report', 'ok'],
      ]);
    });
  });

  describe('on a restore that lost documents', () => {
    let run: DrillRun;
    let report: DrillReport;
    let markdown: string;

    before(async () => {
      run = await runDrill(['--documents', '200', '--inject', 'lose-documents']);
      ({ json: report, markdown } = await readReport(run));
    });

    it('fails the verify with exit 5 (differences), naming the collection and the count', () => {
      expect(run.code).to.equal(5);
      const verify = report.stages.find((s) => s.id === 'verify')!;
      expect(verify.status).to.equal('failed');
      expect(verify.error).to.match(/missing 3/);
      const bad = report.verification[0]!.collections.filter((c) => !c.equal);
      expect(bad).to.have.length(1);
      expect(bad[0]!.missing).to.equal(3);
      expect(bad[0]!.target).to.equal(bad[0]!.manifest - 3);
      expect(markdown).to.contain('DIFFERENT');
    });

    it('still tears the target down and reports', () => {
      expect(report.stages.find((s) => s.id === 'teardown')!.status).to.equal('ok');
      expect(report.stages.find((s) => s.id === 'report')!.status).to.equal('ok');
      expect(report.stages.find((s) => s.id === 'teardown')!.detail).to.contain('deleted 2 databases');
    });
  });

  describe('on a target whose schema drifted from the layout', () => {
    let run: DrillRun;
    let report: DrillReport;

    before(async () => {
      run = await runDrill(['--documents', '200', '--inject', 'schema-drift']);
      ({ json: report } = await readReport(run));
    });

    it('fails the schema gate with exit 5 (differences), naming the container and the difference, before any document is written', () => {
      expect(run.code).to.equal(5);
      const schema = report.stages.find((s) => s.id === 'schema')!;
      expect(schema.status).to.equal('failed');
      expect(schema.error).to.match(/copilot\.\w+ ttl \(target 3600, layout off\)/);
      expect(report.stages.find((s) => s.id === 'import')!.status).to.equal('skipped');
      expect(report.stages.find((s) => s.id === 'verify')!.status).to.equal('skipped');
    });

    it('still tears the target down and reports', () => {
      expect(report.stages.find((s) => s.id === 'teardown')!.status).to.equal('ok');
      expect(report.stages.find((s) => s.id === 'report')!.status).to.equal('ok');
    });
  });

  describe('sharded: --shards 2 (the export as 2 docferry export --shard I/2 processes, merged after the pull)', () => {
    let run: DrillRun;
    let report: DrillReport;
    let markdown: string;

    before(async () => {
      run = await runDrill(['--documents', '200', '--shards', '2']);
      ({ json: report, markdown } = await readReport(run));
    });

    it('exits 0 with every stage ok, in the same stage order as unsharded', () => {
      expect(run.code, run.stderr).to.equal(0);
      expect(report.setup.map((s) => [s.id, s.status])).to.deep.equal([['seed', 'ok'], ['export', 'ok'], ['push', 'ok']]);
      expect(report.stages.map((s) => [s.id, s.status])).to.deep.equal(STAGE_IDS.map((id) => [id, 'ok']));
    });

    it('ran 2 shard processes at once, each exiting 0 with its part, pushed under <prefix>-shard-I-of-2', () => {
      const shards = report.shards!;
      expect(shards.count).to.equal(2);
      expect(shards.runs.map((r) => [r.shard, r.status, r.exitCode])).to.deep.equal([['1/2', 'ok', 0], ['2/2', 'ok', 0]]);
      const [a, b] = shards.runs as [ShardRun, ShardRun];
      expect(a.pid, 'two processes').to.not.equal(b.pid);
      // At once: each started before the other ended.
      const span = (r: ShardRun) => [Date.parse(r.startedAt), Date.parse(r.startedAt) + r.durationMs] as const;
      expect(span(a)[0]).to.be.lessThan(span(b)[1]);
      expect(span(b)[0]).to.be.lessThan(span(a)[1]);
      for (const r of shards.runs) {
        expect(r.documents, r.shard).to.be.greaterThan(0);
        expect(r.prefix).to.match(new RegExp(`^dr-drill/\\d{8}T\\d{6}Z-shard-${r.index}-of-2/$`));
      }
    });

    it('restores exactly what was seeded: seeded = sum of the shards = merged = pulled = imported = verified', () => {
      const seeded = report.setup.find((s) => s.id === 'seed')!.documents!;
      expect(seeded).to.be.greaterThan(150);
      const shards = report.shards!;
      expect(shards.runs.reduce((n, r) => n + r.documents!, 0)).to.equal(seeded);
      expect(report.setup.find((s) => s.id === 'export')!.documents).to.equal(seeded);
      expect(shards.merge.status).to.equal('ok');
      expect(shards.merge.documents).to.equal(seeded);
      for (const id of ['pull', 'import', 'verify']) expect(report.stages.find((s) => s.id === id)!.documents, id).to.equal(seeded);
      const [cosmos] = report.verification;
      expect(cosmos!.collections).to.have.length(8);
      for (const c of cosmos!.collections) {
        expect(c.equal, `${c.database}.${c.collection}`).to.equal(true);
        expect([c.archive, c.target]).to.deep.equal([c.manifest, c.manifest]);
        expect(c.missing + c.extra + c.differing).to.equal(0);
      }
    });

    it('reports a Shards table (documents, time, exit per shard) and the merge, and charts each shard\'s export', () => {
      expect(markdown).to.contain('## Shards: the export as 2 `docferry export --shard I/2` processes at once');
      for (const r of report.shards!.runs) expect(markdown).to.match(new RegExp(`^\\| ${r.shard} \\| ${r.pid} \\| ${r.prefix} \\| ${r.documents} \\| [\\d.]+ s \\| 0 \\| ok \\|$`, 'm'));
      expect(markdown).to.match(/Merge \(`docferry manifest merge`, in the pull stage\): ok: 2 shards into \d+ files, \d+ documents/);
      expect(run.stdout).to.match(/^shard\s+2\/2\s+ok\s/m);
      expect(report.runs.filter((r) => r.stage === 'export').map((r) => r.label)).to.deep.equal(['shard 1/2 of the source (its own docferry export process)', 'shard 2/2 of the source (its own docferry export process)']);
    });
  });

  describe('sharded, with a shard that dies (--inject fail-shard)', () => {
    let run: DrillRun;
    let report: DrillReport;

    before(async () => {
      run = await runDrill(['--documents', '40', '--shards', '2', '--inject', 'fail-shard']);
      ({ json: report } = await readReport(run));
    });

    it('fails the export with exit 1, naming the shard and how it ended, and skips the rest of the setup', () => {
      expect(run.code).to.equal(1);
      const exp = report.setup.find((s) => s.id === 'export')!;
      expect(exp.status).to.equal('failed');
      expect(exp.error).to.contain('1 of 2 shard exports failed: shard 2/2 failed (killed by SIGTERM)');
      expect(report.setup.find((s) => s.id === 'push')!.status).to.equal('skipped');
      expect(report.shards!.runs.map((r) => [r.shard, r.status, r.exitCode, r.signal])).to.deep.equal([['1/2', 'ok', 0, null], ['2/2', 'failed', null, 'SIGTERM']]);
      expect(report.shards!.merge.status).to.equal('not run');
      expect(run.stdout).to.contain('shard 2/2 failed').and.contain('DR drill FAILED');
    });

    it('still tears down and reports', () => {
      expect(report.stages.filter((s) => s.status !== 'skipped').map((s) => [s.id, s.status])).to.deep.equal([['teardown', 'ok'], ['report', 'ok']]);
    });
  });

  it('refuses --inject fail-shard without --shards 2 or more, with exit 2 before starting anything', async () => {
    const run = await runDrill(['--inject', 'fail-shard']);
    expect(run.code).to.equal(2);
    expect(run.stderr).to.contain('--shards 2 or more');
    expect(existsSync(join(run.dir, 'drill-report.md'))).to.equal(false);
  });

  it('refuses an unknown fault with exit 2 before starting anything', async () => {
    const run = await runDrill(['--inject', 'flood']);
    expect(run.code).to.equal(2);
    expect(run.stderr).to.match(/flood/);
    expect(existsSync(join(run.dir, 'drill-report.md'))).to.equal(false);
  });
});
