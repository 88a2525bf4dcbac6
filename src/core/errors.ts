/**
 * Error kinds the CLI and tasks turn into exit codes. Every message is meant for a person:
 * what went wrong, where (file, line, document id), and what to do about it.
 */
export const ExitCode = {
  ok: 0,
  /** The run failed: a server, network, disk or authentication problem stopped it. */
  failed: 1,
  /** Bad flags, configuration or layout: nothing was read or written. */
  usage: 2,
  /** The run finished but some documents were rejected (see the rejects files). */
  rejected: 3,
  /** The input was refused before any write: a missing, incomplete or altered export. */
  inputRefused: 4,
  /** Verification found differences between source and target. */
  differences: 5,
  /**
   * The run was cancelled: the CLI by SIGINT (128 + 2, as shells count it), the library by its
   * AbortSignal (AbortError). The checkpoint is kept: the same run with resume continues it.
   */
  aborted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class DocferryError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue = ExitCode.failed,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad flags, environment or configuration. */
export class UsageError extends DocferryError {
  constructor(message: string) {
    super(message, ExitCode.usage);
  }
}

/** An export directory that must not be imported as it is. */
export class InputRefusedError extends DocferryError {
  constructor(message: string) {
    super(message, ExitCode.inputRefused);
  }
}

/** The server refused our credentials (401/403): never a stack trace, always advice. */
export class AuthenticationError extends DocferryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.failed, options);
  }
}

/** The target is not provisioned the way the layout says (missing container, other partition key). */
export class TargetSchemaError extends DocferryError {
  constructor(message: string) {
    super(message, ExitCode.failed);
  }
}

/**
 * A run cancelled through its AbortSignal (the library's `signal`). Reading stopped at the next
 * document, the batches in flight settled, and the checkpoint holds what they confirmed: the
 * same run with `resume` continues where this one stopped. Named `AbortError` as the DOM's is,
 * so `err.name === 'AbortError'` checks work too.
 */
export class AbortError extends DocferryError {
  constructor(
    message = 'The run was cancelled (its AbortSignal was aborted). Its checkpoint is kept: run it again with resume to continue.',
    options?: { cause?: unknown },
  ) {
    super(message, ExitCode.aborted, options);
  }
}

/** The AbortError of an aborted signal, with the signal's reason as its cause. */
export function abortErrorOf(signal: AbortSignal): AbortError {
  return signal.reason instanceof AbortError ? signal.reason : new AbortError(undefined, { cause: signal.reason });
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Room for a server's whole explanation (a PostgreSQL error with its context runs past 300 characters), but not for a page of HTML. */
export const MAX_CAUSE_CHARS = 4096;

/** A cause as it goes into a message: whole up to MAX_CAUSE_CHARS, on one line. Redact after. */
export function causeText(text: string, limit = MAX_CAUSE_CHARS): string {
  const flat = text.replace(/\s*\r?\n\s*/g, ' ').trim();
  return flat.length <= limit ? flat : `${flat.slice(0, limit)}… (${flat.length - limit} more characters)`;
}
