import type { Command } from 'commander';
import { Emulator } from '../../../emulator/index.js';
import { createOutput, UserError, EXIT } from '../output.js';

interface EmulatorFlags {
  profile: string;
  seed: string;
  port: string;
  host: string;
  throttle: string;
  timeScale: string;
  faults: string;
  state?: string;
  json?: boolean;
}

function number(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new UserError(`--${name} must be a number from ${min} to ${max}`, EXIT.usage);
  return n;
}

/** Resolves when the process is asked to stop (Ctrl-C, SIGTERM). */
export function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string) => () => resolve(sig);
    process.once('SIGINT', on('SIGINT'));
    process.once('SIGTERM', on('SIGTERM'));
  });
}

export function registerEmulator(program: Command): void {
  program
    .command('emulator')
    .description('run the Microsoft 365 tenant emulator (Graph + Entra ID sign-in over HTTPS)')
    .option('--profile <name|file>', 'small, medium, large or a profile JSON file', 'small')
    .option('--seed <n>', 'seed for the generated tenant', '1')
    .option('--port <n>', 'HTTPS port (0 picks a free one)', '0')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--throttle <mode>', 'off, realistic or harsh', 'off')
    .option('--time-scale <x>', 'multiply every modelled duration by x (0.01 = 100x faster)', '1')
    .option('--faults <rate>', 'probability (0..1) of a random fault per Graph request', '0')
    .option('--state <dir>', 'keep the tenant (changes, uploads, keys) in this directory across restarts')
    .option('--json', 'print one JSON line with the connection details once ready')
    .action(async (flags: EmulatorFlags) => {
      const out = createOutput(!!flags.json);
      if (!['off', 'realistic', 'harsh'].includes(flags.throttle))
        throw new UserError('--throttle must be off, realistic or harsh', EXIT.usage);
      const emulator = await Emulator.start({
        profile: flags.profile,
        seed: flags.seed,
        port: number('port', flags.port, 0, 65535),
        host: flags.host,
        throttle: flags.throttle as 'off' | 'realistic' | 'harsh',
        timeScale: number('time-scale', flags.timeScale, 1e-6, 1000),
        faults: number('faults', flags.faults, 0, 1),
        ...(flags.state ? { stateDir: flags.state } : {}),
      }).catch((e: unknown) => {
        throw new UserError(`the emulator could not start: ${(e as Error).message}`);
      });
      out.result(emulator.info, (v) => {
        const i = v as typeof emulator.info;
        return [
          `Microsoft 365 tenant emulator ready (profile ${flags.profile}, seed ${flags.seed}, throttle ${flags.throttle})`,
          `  Graph:         ${i.graphUrl}/v1.0`,
          `  Sign-in:       ${i.loginUrl}/${i.tenantId}/oauth2/v2.0/token`,
          `  Tenant id:     ${i.tenantId}`,
          `  Client id:     ${i.clientId}`,
          `  Client secret: ${i.clientSecret}`,
          `  CA file:       ${i.caFile}`,
          `  Admin API:     ${i.adminUrl}`,
          'Press Ctrl-C to stop.',
        ].join('\n');
      });
      await untilSignal();
      await emulator.close();
    });
}
