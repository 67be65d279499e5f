import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Time from spawning the built `safehold emulator --json` to its ready line, per profile (median of runs). */
async function once(profile: string): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, ['bin/safehold.js', 'emulator', '--profile', profile, '--json'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', () => resolve());
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
  });
  const ms = performance.now() - started;
  child.kill('SIGINT');
  await new Promise((r) => child.once('exit', r));
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

export default async function emulatorStartup(
  args: Record<string, string | undefined>,
): Promise<Record<string, unknown>> {
  const runs = Number(args['runs'] ?? 5);
  const out: Record<string, unknown> = { limitMs: 3000, runs };
  for (const profile of ['small', 'medium', 'large']) {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) times.push(await once(profile));
    out[`${profile}ReadyMedianMs`] = Math.round(median(times));
  }
  out['smallRatioToLimit'] = Number(((out['smallReadyMedianMs'] as number) / 3000).toFixed(3));
  return out;
}
