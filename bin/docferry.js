#!/usr/bin/env node
// Runs the compiled CLI; `npm run build` (run by `prepare` on npm ci) produces dist/.
import('../dist/cli/main.js').then((m) => m.main(process.argv)).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(err); process.exitCode = 1; },
);
