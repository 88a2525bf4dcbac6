// Preloaded into the measured docferry process by bench/process.ts: writes the process's own CPU
// time (getrusage, every thread, user + system) to BENCH_CPU_FILE as it exits. Sampling /proc from
// the parent misses the end of a run: the child is reaped before the parent sees it exit.
const { writeFileSync } = require('node:fs');
const file = process.env.BENCH_CPU_FILE;
if (file) {
  process.on('exit', () => {
    const { user, system } = process.cpuUsage();
    writeFileSync(file, JSON.stringify({ user, system }));
  });
}
