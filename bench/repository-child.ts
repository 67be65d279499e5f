import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Job, ResultOf } from './repository-jobs.js';

/**
 * The Safehold side of the repository benchmarks runs in a child process (repository-worker.ts),
 * so its peak RSS is its own and comparable with restic's. Jobs go in as a JSON file; the worker
 * prints one JSON result line on stdout, progress on stderr.
 *
 * When the build (dist/) is up to date with src/repository, the worker runs as plain JavaScript
 * against it, as a built `safehold` would: no tsx in the process or in the repository's sealing
 * threads (tsx costs some 30 MiB of RSS per thread). Otherwise it runs the sources under tsx and
 * says so (`codeFrom`).
 */

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(BENCH, '..');
const SRC = path.join(ROOT, 'src', 'repository');
const DIST = path.join(ROOT, 'dist', 'src', 'repository');
/** The worker and the bench modules it imports at run time. */
const WORKER_MODULES = ['repository-worker', 'repository-jobs', 'repository-bytes'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sourceFiles(path.join(dir, e.name))
      : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')
        ? [path.join(dir, e.name)]
        : [],
  );
}

/** Whether every src/repository module has a compiled counterpart at least as new. */
function distIsFresh(): boolean {
  if (!existsSync(DIST)) return false;
  return sourceFiles(SRC).every((ts) => {
    const js = path.join(DIST, path.relative(SRC, ts)).replace(/\.ts$/, '.js');
    return existsSync(js) && statSync(js).mtimeMs >= statSync(ts).mtimeMs;
  });
}

/** Which code a benchmark measured: the commit and a hash of src/repository as it was. */
export function sourceFingerprint(): { commit: string; repositorySourceHash: string } {
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  const h = createHash('sha256');
  for (const f of sourceFiles(SRC).sort()) h.update(path.relative(SRC, f)).update(readFileSync(f));
  return { commit: git.stdout.trim() || 'unknown', repositorySourceHash: h.digest('hex').slice(0, 12) };
}

/** What the `code` field of a benchmark's output says: which code ran, and whether it moved. */
export function codeReport(
  atStart: ReturnType<typeof sourceFingerprint>,
  codeFrom: string,
): Record<string, unknown> {
  const atEnd = sourceFingerprint();
  return {
    codeFrom,
    ...atStart,
    // Only the repository's sources count: a commit of the same code changes nothing measured.
    changedDuringRun: atEnd.repositorySourceHash !== atStart.repositorySourceHash,
  };
}

interface WorkerCommand {
  args: string[];
  library: string;
  codeFrom: string;
}

let prepared: WorkerCommand | undefined;

/** Transpiles the worker to plain JavaScript against dist/, or falls back to tsx and src/. */
async function workerCommand(): Promise<WorkerCommand> {
  if (prepared) return prepared;
  if (!distIsFresh()) {
    process.stderr.write(
      '[bench] dist/ is missing or older than src/repository: the worker runs under tsx\n',
    );
    prepared = {
      args: ['--import', 'tsx', path.join(BENCH, 'repository-worker.ts')],
      library: pathToFileURL(path.join(SRC, 'index.ts')).href,
      codeFrom: 'src/repository under tsx (dist/ missing or stale; npm run bench builds it)',
    };
    return prepared;
  }
  const { default: ts } = await import('typescript');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'safehold-bench-worker-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}\n');
  for (const m of WORKER_MODULES) {
    const out = ts.transpileModule(readFileSync(path.join(BENCH, `${m}.ts`), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2023 },
    });
    writeFileSync(path.join(dir, `${m}.js`), out.outputText);
  }
  prepared = {
    args: [path.join(dir, 'repository-worker.js')],
    library: pathToFileURL(path.join(DIST, 'index.js')).href,
    codeFrom: 'dist/ (built JavaScript, no tsx)',
  };
  return prepared;
}

/** Where the worker's code comes from (see {@link workerCommand}). */
export async function workerCodeFrom(): Promise<string> {
  return (await workerCommand()).codeFrom;
}

/** Runs a job in a fresh node process; `cpuProfDir` adds `--cpu-prof` so the profile lands there. */
export async function runWorker<J extends Job>(
  job: J,
  jobFile: string,
  cpuProfDir?: string,
): Promise<ResultOf<J>> {
  const command = await workerCommand();
  writeFileSync(jobFile, JSON.stringify(job));
  const flags = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [];
  const started = performance.now();
  const child = spawn(process.execPath, [...flags, ...command.args, jobFile], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, SAFEHOLD_BENCH_LIBRARY: command.library },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`repository worker (${job.kind}) exited with ${code}`);
  const last = out.trim().split('\n').pop() ?? '';
  const result = JSON.parse(last) as ResultOf<J>;
  result.processSeconds = (performance.now() - started) / 1000;
  return result;
}
