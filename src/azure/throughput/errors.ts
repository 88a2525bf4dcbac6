import { DocferryError, ExitCode } from '../../core/errors.js';
import type { ThroughputSettings } from './types.js';
import type { WindowState } from './window.js';

/**
 * A raise that docferry will not do as asked: a cut instead of a raise, a raise that makes the
 * restore impossible without acknowledgement, a mode change. Nothing was changed. Exit code 2.
 */
export class ThroughputRefusedError extends DocferryError {
  constructor(message: string) {
    super(message, ExitCode.usage);
  }
}

/**
 * The raise update failed. `changed` tells whether the offer differs from what was read before
 * (true: a restore is needed; false: nothing needs restoring; undefined: could not be read back).
 */
export class ThroughputRaiseError extends DocferryError {
  constructor(
    message: string,
    readonly state: WindowState,
    readonly changed: boolean | undefined,
    readonly current: ThroughputSettings | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, ExitCode.failed, options);
  }
}

/** The restore did not put the throughput back. The state is kept so it can be tried again. */
export class ThroughputRestoreError extends DocferryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.failed, options);
  }
}
