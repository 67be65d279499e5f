import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { EmulatorInfo } from '../emulator/index.js';

/** The built `safehold emulator` in its own process, so its CPU does not count as the client's. */
export async function spawnEmulator(
  args: string[],
): Promise<{ info: EmulatorInfo; child: ChildProcess; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['bin/safehold.js', 'emulator', '--json', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
  });
  const info = JSON.parse(line) as EmulatorInfo;
  return {
    info,
    child,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await exited;
    },
  };
}
