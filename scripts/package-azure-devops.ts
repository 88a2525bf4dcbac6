/**
 * `npm run package:azure-devops`: bundles the tasks, stages only what ships (task.json, the
 * bundle with its license notices, layouts/) and packs the extension with tfx-cli into dist/.
 * Task folders in the repository also hold index.ts; the staging keeps sources out of the .vsix.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { azureDevOpsRoot, azureDevOpsTaskNames, buildAzureDevOpsTask, repoRoot } from './build-tasks.js';

const SHIPPED = ['task.json', 'index.js', 'index.js.LEGAL.txt', 'layouts', 'icon.png'];

export async function packageAzureDevOps(outDir: string = join(repoRoot, 'dist')): Promise<string> {
  const staging = mkdtempSync(join(tmpdir(), 'docferry-vsix-'));
  try {
    for (const name of azureDevOpsTaskNames()) {
      const dir = join(staging, name);
      await buildAzureDevOpsTask(name, dir);
      cpSync(join(azureDevOpsRoot, name, 'task.json'), join(dir, 'task.json'));
      for (const f of readdirSync(dir)) if (!SHIPPED.includes(f)) rmSync(join(dir, f), { recursive: true, force: true });
    }
    for (const f of ['vss-extension.json', 'overview.md']) cpSync(join(azureDevOpsRoot, f), join(staging, f));
    mkdirSync(outDir, { recursive: true });
    const tfx = join(repoRoot, 'node_modules', 'tfx-cli', '_build', 'tfx-cli.js');
    const out = execFileSync(
      process.execPath,
      [tfx, 'extension', 'create', '--root', staging, '--manifest-globs', 'vss-extension.json', '--output-path', outDir, '--no-prompt', '--json', '--no-color'],
      { encoding: 'utf8', env: { ...process.env, TFX_TRACE: '' } },
    );
    const result = JSON.parse(out.slice(out.indexOf('{'))) as { path: string };
    return result.path;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  packageAzureDevOps(process.argv[2] ? resolve(process.argv[2]) : undefined)
    .then((path) => console.log(`packaged ${path}${existsSync(path) ? '' : ' (missing!)'}`))
    .catch((err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
    });
}
