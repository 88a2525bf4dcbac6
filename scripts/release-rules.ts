/** What the npm tarball must and must not hold (npm run release:check, test/unit/package-files.test.ts). */

/** Paths (inside the tarball's `package/`) that must never ship. */
export const FORBIDDEN: [RegExp, string][] = [
  [/^(test|bench|scripts|\.ci|tools|tasks|pipelines|src|node_modules)\//, 'a folder that is not for users'],
  [/\.test\.[cm]?[jt]s$/, 'a test file'],
  [/\.vsix$/, 'an Azure DevOps extension package'],
  [/(^|\/)\.env|\.tsbuildinfo$|\.map$/, 'a build or environment leftover'],
  [/^dist\/.*(?<!\.d)\.ts$/, 'TypeScript source (only .d.ts belongs in dist)'],
];

/** What a user needs: the CLI, the library entry, the Pulumi components with their types, the layouts. */
export const REQUIRED = ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'bin/docferry.js', 'dist/cli/main.js', 'dist/index.js', 'dist/index.d.ts', 'dist/pulumi/index.js', 'dist/pulumi/index.d.ts', 'layouts/default.json', 'layouts/layout.schema.json'];

export function tarballProblems(paths: readonly string[]): { forbidden: string[]; missing: string[] } {
  const forbidden: string[] = [];
  for (const p of paths) for (const [re, why] of FORBIDDEN) if (re.test(p)) forbidden.push(`${p} is ${why}`);
  return { forbidden, missing: REQUIRED.filter((r) => !paths.includes(r)) };
}
