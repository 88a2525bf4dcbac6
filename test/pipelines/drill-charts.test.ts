/**
 * The templates' DR drill report carries the run report's charts of its data stages: the Azure
 * DevOps report fragment appends the tasks' reportMarkdown files, the GitHub workflow the
 * action's report-markdown outputs. The fragment's script is run for real on a charts file.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { repoRoot } from '../support/cli.js';
import { mermaidBlocks, mermaidProblems } from '../support/mermaid.js';

const load = (rel: string) => parse(readFileSync(join(repoRoot, rel), 'utf8'));

const CHARTS = [
  '### Documents per second, per collection',
  '',
  '```mermaid',
  'xychart-beta',
  '    title "Documents per second, per collection"',
  '    x-axis "seconds" ["0", "1"]',
  '    y-axis "docs/s" 0 --> 110',
  '    line [90, 100]',
  '```',
  '',
].join('\n');

describe('the templates\' DR drill report: the data stages\' charts', () => {
  it('Azure DevOps: the recover job hands the import\'s and the verify\'s reportMarkdown to its report fragment', () => {
    const text = readFileSync(join(repoRoot, 'pipelines/azure-devops/dr-drill.yml'), 'utf8');
    expect(text).to.match(/charts: \|\n\s+import=\$\(import\.reportMarkdown\)\n\s+verify=\$\(verify\.reportMarkdown\)/);
  });

  it('the report fragment appends each charts file under its label and skips a step that did not run', () => {
    const fragment = load('pipelines/azure-devops/steps/report-fragment.yml') as { parameters: { name: string }[]; steps: { bash?: string }[] };
    expect(fragment.parameters.map((p) => p.name)).to.include('charts');
    const dir = mkdtempSync(join(tmpdir(), 'docferry-fragment-'));
    try {
      const charts = join(dir, 'import-charts.md');
      writeFileSync(charts, CHARTS);
      const script = fragment.steps.find((s) => s.bash)!.bash!.replaceAll('$(Pipeline.Workspace)', dir);
      execFileSync('bash', ['-c', script], {
        env: { PATH: process.env.PATH, PART: 'recover', TITLE: 'Recover', ROWS: 'documents written=12\n', CHARTS: `import=${charts}\nverify=$(verify.reportMarkdown)\n`, AGENT_JOBSTATUS: 'Succeeded' },
        stdio: 'pipe',
      });
      const md = readFileSync(join(dir, 'docferry-report-fragment', 'recover.md'), 'utf8');
      expect(md).to.include('| documents written | 12 |');
      expect(md).to.include('#### import');
      expect(md).to.include('##### Documents per second, per collection');
      expect(md).to.not.include('#### verify');
      const blocks = mermaidBlocks(md);
      expect(blocks).to.have.length(1);
      expect(mermaidProblems(blocks[0]!)).to.deep.equal([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('GitHub: the drill job keeps the import\'s and the verify\'s report-markdown, and the report job appends them', () => {
    const wf = load('pipelines/github/dr-drill.yml') as { jobs: Record<string, { steps: { name?: string; uses?: string; run?: string; env?: Record<string, string>; with?: Record<string, string> }[] }> };
    const keep = wf.jobs.drill!.steps.find((s) => s.env?.IMPORT_CHARTS)!;
    expect(keep.env).to.deep.equal({ IMPORT_CHARTS: '${{ steps.import.outputs.report-markdown }}', VERIFY_CHARTS: '${{ steps.verify.outputs.report-markdown }}' });
    const upload = wf.jobs.drill!.steps.find((s) => s.with?.name?.startsWith('docferry-charts-'));
    expect(upload?.uses).to.match(/^actions\/upload-artifact@/);
    const download = wf.jobs.report!.steps.find((s) => s.uses?.startsWith('actions/download-artifact@'));
    expect(download?.with?.name).to.equal(upload!.with!.name);
    const compose = wf.jobs.report!.steps.find((s) => s.name === 'Compose the report')!;
    expect(compose.run).to.include('docferry-charts/$stage.md');
    const action = parse(readFileSync(join(repoRoot, 'tasks/github/action.yml'), 'utf8')) as { outputs: Record<string, unknown> };
    expect(action.outputs).to.have.property('report-markdown');
  });
});
