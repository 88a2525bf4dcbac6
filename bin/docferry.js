#!/usr/bin/env node
// Runs the compiled CLI; `npm run build` (run by `prepare` on npm ci) produces dist/.
import('../dist/cli/main.js').then((m) => m.runAsProcess(process.argv)).catch(
  (err) => { console.error(err); process.exitCode = 1; },
);
