import { Command, CommanderError } from 'commander';
import { SAFEHOLD_VERSION } from '../graph/index.js';
import { registerDemo } from './commands/demo.js';
import { registerEmulator } from './commands/emulator.js';
import { registerInventory } from './commands/inventory.js';
import { registerRepo } from './commands/repo.js';
import { EXIT, ReportedFailure, UserError } from './output.js';

export function buildProgram(): Command {
  const program = new Command('safehold')
    .description('Self-hosted backup and self-service restore for Microsoft 365')
    .version(SAFEHOLD_VERSION)
    .showHelpAfterError()
    .exitOverride();
  registerEmulator(program);
  registerDemo(program);
  registerInventory(program);
  registerRepo(program);
  return program;
}

/** Runs the CLI; resolves to the process exit code (0 ok, 1 failure, 2 usage error). */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const wantsJson = argv.includes('--json');
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return EXIT.ok; // --help, --version
      if (wantsJson) process.stdout.write(`${JSON.stringify({ error: e.message })}\n`);
      return EXIT.usage;
    }
    if (e instanceof ReportedFailure) return e.exitCode; // its result is already printed
    const message =
      e instanceof UserError ? e.message : `unexpected error: ${(e as Error).stack ?? String(e)}`;
    if (wantsJson)
      process.stdout.write(
        `${JSON.stringify({ error: e instanceof UserError ? e.message : (e as Error).message })}\n`,
      );
    else process.stderr.write(`safehold: ${message}\n`);
    return e instanceof UserError ? e.exitCode : EXIT.failure;
  }
}

// Run directly (`node --import tsx src/cli/main.ts ...`); bin/safehold.js imports `main` instead.
if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv);
}
