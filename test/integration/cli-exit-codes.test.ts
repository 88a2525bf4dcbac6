import { expect } from 'chai';
import { runCli, spawnCli } from '../support/cli.js';

/** Issue 14, item 10: usage errors exit 2 (docs/cli.md), whichever way the command line is wrong. */
describe('CLI exit codes for usage errors and help', function () {
  this.timeout(60_000);

  it('an unknown subcommand exits 2 and says which one, at every level', async () => {
    for (const args of [['exprot'], ['archive', 'pusj'], ['throughput', 'opne'], ['help', 'exprot']]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).to.equal(2);
    }
    expect((await runCli(['exprot'])).stderr).to.include("unknown command 'exprot'");
  });

  it('no subcommand (docferry, docferry archive, docferry throughput) prints help on stderr and exits 2', async () => {
    for (const args of [[], ['archive'], ['throughput']]) {
      const r = await runCli(args);
      expect(r.code, `docferry ${args.join(' ')}`).to.equal(2);
      expect(r.stderr, `docferry ${args.join(' ')}`).to.include(`Usage: docferry${args.length ? ` ${args[0]}` : ''} [options] [command]`);
      expect(r.stdout).to.equal('');
    }
  });

  it('asking for help or the version exits 0', async () => {
    for (const args of [['--help'], ['help'], ['help', 'export'], ['export', '--help'], ['archive', '--help'], ['--version']]) {
      expect((await runCli(args)).code, args.join(' ')).to.equal(0);
    }
  });

  it('as a process: docferry with no subcommand exits 2, docferry exprot exits 2', async () => {
    expect((await spawnCli([])).code).to.equal(2);
    expect((await spawnCli(['exprot'])).code).to.equal(2);
  });
});
