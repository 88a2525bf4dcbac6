import { DocferryError, ExitCode } from '../../core/errors.js';

/** `--max-errors`: shared by every collection of a run. */
export class ErrorBudget {
  count = 0;
  /** Rejects an interrupted run confirmed, counted again by the resumed one. */
  private carried = 0;
  constructor(readonly max?: number) {}
  spend(): void {
    this.count++;
    this.check();
  }
  /** A resumed run starts from the rejects its checkpoint confirmed, as if it had not stopped. */
  carry(rejected: number): void {
    if (rejected <= 0) return;
    this.count += rejected;
    this.carried += rejected;
    this.check();
  }
  private check(): void {
    if (this.max !== undefined && this.count > this.max) {
      const earlier = this.carried > 0 ? `, ${this.carried} of them by the interrupted run this one resumed` : '';
      throw new DocferryError(`Stopped: more than ${this.max} documents were rejected (--max-errors ${this.max}${earlier}). See the rejects files for each document and reason.`, ExitCode.rejected);
    }
  }
}
