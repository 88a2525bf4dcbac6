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
  registerArchiveCommand(program, ctx);
  registerVerifyCommand(program, ctx);
  registerThroughputCommand(program, ctx);
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
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return ExitCode.ok;
      return ExitCode.usage;
    }
    const code = err instanceof DocferryError ? err.exitCode : ExitCode.failed;
    ctx.out.log(`docferry: error: ${redact(errorMessage(err))}`);
    if (!(err instanceof DocferryError) && process.env.DOCFERRY_DEBUG) ctx.out.log(redact(String((err as Error).stack)));
    return code;
  }
}

const invokedDirectly = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invokedDirectly) {
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
