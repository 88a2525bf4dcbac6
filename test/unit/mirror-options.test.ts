import { expect } from 'chai';
import { ExitCode } from '../../src/core/errors.js';
import { checkMirrorOptions, defaultMaxDeletes } from '../../src/engine/mirror.js';

describe('mirror options', () => {
  it('limits deletes by default to 10% of the target documents, never more than 1,000', () => {
    expect(defaultMaxDeletes(0)).to.equal(0);
    expect(defaultMaxDeletes(9)).to.equal(0);
    expect(defaultMaxDeletes(56)).to.equal(5);
    expect(defaultMaxDeletes(10_000)).to.equal(1000);
    expect(defaultMaxDeletes(25_000_000)).to.equal(1000);
  });

  it('refuses the mirror flags without --mode mirror, and --dry-run with --resume or --verify (usage, exit 2)', () => {
    const usage = (o: Parameters<typeof checkMirrorOptions>[0]) => {
      try {
        checkMirrorOptions(o);
      } catch (err) {
        expect((err as { exitCode: number }).exitCode).to.equal(ExitCode.usage);
        return (err as Error).message;
      }
      return undefined;
    };
    expect(usage({ mode: 'upsert', maxDeletes: 3, dryRun: true })).to.equal('--max-deletes, --dry-run apply to --mode mirror only (this run\'s mode is upsert).');
    expect(usage({ mode: 'merge', deletesFile: 'x.ndjson' })).to.include('--deletes-file applies to --mode mirror only');
    expect(usage({ mode: 'mirror', dryRun: true, resume: true })).to.include('leave out --resume');
    expect(usage({ mode: 'mirror', dryRun: true, verify: true })).to.include('leave out --verify');
    expect(usage({ mode: 'mirror', maxDeletes: -1 })).to.include('--max-deletes must be a whole number');
    expect(usage({ mode: 'mirror', maxDeletes: 0, dryRun: true, deletesFile: 'x.ndjson' })).to.equal(undefined);
    expect(usage({ mode: 'upsert' })).to.equal(undefined);
  });
});
