import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  openSync,
  closeSync,
  readFileSync,
  readdirSync,
  lstatSync,
  rmSync,
} from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * restic, the reference the repository benchmarks compare against: run under GNU time so its peak
 * RSS is measured by the kernel (wait4 rusage), like the Safehold worker's own maxRSS.
 */

export const RESTIC = '/usr/bin/restic';
const TIME = '/usr/bin/time';
export const RESTIC_PASSWORD = 'bench-passphrase';

/** Fails with the install command when restic or GNU time is missing. */
export function requireRestic(): string {
  if (!existsSync(RESTIC))
    throw new Error(
      `restic is not installed at ${RESTIC}: apt-get install restic (needed for the comparison)`,
    );
  if (!existsSync(TIME))
    throw new Error(
      `GNU time is not installed at ${TIME}: apt-get install time (measures restic's peak RSS)`,
    );
  const v = spawnSync(RESTIC, ['version'], { encoding: 'utf8' });
  if (v.status !== 0) throw new Error(`restic version failed: ${v.stderr}`);
  return v.stdout.trim();
}

export interface ResticRepo {
  repo: string;
  cache: string;
}

export interface ProcessResult {
  seconds: number;
  /** User plus system CPU time: less sensitive than wall time to a busy machine. */
  cpuSeconds: number;
  maxRssBytes: number;
  stdout: string;
}

/**
 * Runs `restic args…` against `r`; stdout goes to `stdoutFile` when given (e.g. /dev/null for
 * dump), else is collected; `stdin` is piped in when given (backup --stdin).
 */
export async function restic(
  r: ResticRepo,
  args: string[],
  stdoutFile?: string,
  stdin?: AsyncIterable<Buffer>,
): Promise<ProcessResult> {
  mkdirSync(r.cache, { recursive: true });
  const timeFile = `${r.cache}.time-${process.pid}-${Date.now()}`;
  const out = stdoutFile ? openSync(stdoutFile, 'w') : 'pipe';
  const started = performance.now();
  const child = spawn(TIME, ['-f', '%M %U %S', '-o', timeFile, RESTIC, ...args], {
    stdio: [stdin ? 'pipe' : 'ignore', out, 'pipe'],
    env: {
      ...process.env,
      RESTIC_REPOSITORY: r.repo,
      RESTIC_PASSWORD,
      RESTIC_CACHE_DIR: r.cache,
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  // Settles with the feeding error (or undefined), so a restic failure is reported as restic's.
  const feeding: Promise<unknown> =
    stdin && child.stdin
      ? pipeline(Readable.from(stdin), child.stdin).then(
          () => undefined,
          (e: unknown) => e,
        )
      : Promise.resolve(undefined);
  const code = await exited;
  const feedError = await feeding;
  const seconds = (performance.now() - started) / 1000;
  if (typeof out === 'number') closeSync(out);
  if (code !== 0) throw new Error(`restic ${args.join(' ')} exited with ${code}: ${stderr.slice(-2000)}`);
  if (feedError) throw feedError instanceof Error ? feedError : new Error('feeding restic failed');
  const [kb, user, sys] = (readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? '')
    .split(' ')
    .map(Number);
  rmSync(timeFile, { force: true });
  return { seconds, cpuSeconds: user! + sys!, maxRssBytes: kb! * 1024, stdout };
}

/** `restic init --repository-version 2`: the format with zstd compression (`--compression auto`). */
export async function resticInit(r: ResticRepo): Promise<void> {
  await restic(r, ['init', '--repository-version', '2']);
}

export interface ResticBackup extends ProcessResult {
  summary: Record<string, unknown>;
}

/** `restic backup` of `dir` (run with `cwd` = dir's parent so the snapshot paths are stable). */
export async function resticBackup(r: ResticRepo, dir: string, extra: string[] = []): Promise<ResticBackup> {
  const res = await restic(r, [
    'backup',
    '--json',
    '--quiet',
    '--host',
    'bench',
    '--compression',
    'auto',
    ...extra,
    dir,
  ]);
  const summaryLine = res.stdout
    .split('\n')
    .filter((l) => l.includes('"message_type":"summary"'))
    .pop();
  const summary = summaryLine ? (JSON.parse(summaryLine) as Record<string, unknown>) : {};
  return { ...res, summary };
}

/** Bytes of all files under `dir` (apparent sizes, like `du -sb`). */
export function dirBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += dirBytes(p);
    else if (e.isFile()) total += lstatSync(p).size;
  }
  return total;
}
