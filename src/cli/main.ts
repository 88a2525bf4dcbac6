import { Command, CommanderError } from 'commander';
import { DocferryError, ExitCode, errorMessage } from '../core/errors.js';
import { toolVersion } from '../core/package-info.js';
import { redact } from '../core/secrets.js';
import { processContext, type CliContext } from './context.js';
import { registerExportCommand } from './commands/export.js';
import { registerImportCommand } from './commands/import.js';
import { registerMigrateCommand } from './commands/migrate.js';
import { registerArchiveCommand } from './commands/archive.js';
import { registerVerifyCommand } from './commands/verify.js';
import { registerThroughputCommand } from './commands/throughput.js';
import { registerLayoutCommand } from './commands/layout.js';
import { registerPlanCommand } from './commands/plan.js';
import { registerManifestCommand } from './commands/manifest.js';

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('docferry')
    .description('Move document data between Azure Cosmos DB (NoSQL API) and MongoDB, checked end to end.')
    .version(toolVersion)
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.out.result(s.trimEnd()),
      writeErr: (s) => ctx.out.log(s.trimEnd()),
    });
  registerExportCommand(program, ctx);
  registerImportCommand(program, ctx);
  registerMigrateCommand(program, ctx);
  registerPlanCommand(program, ctx);
  registerArchiveCommand(program, ctx);
  registerVerifyCommand(program, ctx);
  registerThroughputCommand(program, ctx);
  registerLayoutCommand(program, ctx);
  registerManifestCommand(program, ctx);
  for (const sub of program.commands) sub.exitOverride().showHelpAfterError();
  return program;
}

/** Runs the CLI and returns the exit code (documented in docs/cli.md). */
export async function main(argv: string[], ctx: CliContext = processContext()): Promise<number> {
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv);
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return ExitCode.ok;
      // `docferry help` asked for help (exit 0); `docferry`, `docferry archive` or `docferry help exprot`
      // printed help because a subcommand was missing or unknown: a usage error.
      if (err.code === 'commander.help') return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
      return ExitCode.usage;
    }
    const code = err instanceof DocferryError ? err.exitCode : ExitCode.failed;
    ctx.out.log(`docferry: error: ${redact(errorMessage(err))}`);
    if (!(err instanceof DocferryError) && process.env.DOCFERRY_DEBUG) ctx.out.log(redact(String((err as Error).stack)));
    return code;
  }
}

/** The commands whose runs keep a checkpoint, so an interrupted one continues with --resume. */
const RESUMABLE = new Set(['export', 'import', 'migrate']);

/** 128 + the signal number, as a shell reports a process the signal ended. */
const SIGNAL_EXIT: Record<'SIGINT' | 'SIGTERM', number> = { SIGINT: 130, SIGTERM: 143 };

/** What to tell the user when Ctrl-C or a cancelled pipeline stops `argv`'s command. */
export function interruptedMessage(argv: string[], signal: 'SIGINT' | 'SIGTERM'): string {
  const command = argv.slice(2).find((a) => !a.startsWith('-'));
  if (command && RESUMABLE.has(command)) return `docferry ${command} interrupted: re-run with --resume to continue (${signal}; the checkpoint keeps what was written).`;
  return `docferry${command ? ` ${command}` : ''} interrupted (${signal}).`;
}

/**
 * The CLI as a process: SIGINT and SIGTERM end it at once with 130 and 143 and say how to go on.
 * Stopping at once is safe: the checkpoint is written so that even a SIGKILL can be resumed
 * (test/integration/resume.test.ts), and waiting for in-flight batches could outlast the
 * grace period of a pipeline agent.
 */
export async function runAsProcess(argv: string[] = process.argv): Promise<void> {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      // A progress bar hides the cursor while it draws: give it back.
      process.stderr.write(`${process.stderr.isTTY ? '\u001b[?25h' : ''}\n${interruptedMessage(argv, signal)}\n`);
      process.exit(SIGNAL_EXIT[signal]);
    });
  }
  process.exitCode = await main(argv);
}

const invokedDirectly = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invokedDirectly) void runAsProcess();
