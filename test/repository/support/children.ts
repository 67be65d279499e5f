/** Starts writer.ts processes and collects their JSON lines. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { onCleanup } from './repo.js';

const script = fileURLToPath(new URL('./writer.ts', import.meta.url));
const root = fileURLToPath(new URL('../../../', import.meta.url));

export interface WriterJob {
  repo: string;
  cache: string;
  passphrase: string;
  objects: { name: string; size: number }[];
  then?: 'exit' | 'endless';
}

export interface Writer {
  child: ChildProcess;
  /** Resolves with the next printed line that has `key`. */
  line(key: string): Promise<Record<string, unknown>>;
  /** Resolves when the process ends: its exit code or signal, and stderr. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

export function startWriter(job: WriterJob): Writer {
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(job)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onCleanup(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const lines: Record<string, unknown>[] = [];
  const waiting: { key: string; resolve: (l: Record<string, unknown>) => void }[] = [];
  let out = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    let nl;
    while ((nl = out.indexOf('\n')) >= 0) {
      const line = JSON.parse(out.slice(0, nl)) as Record<string, unknown>;
      out = out.slice(nl + 1);
      lines.push(line);
      for (const w of waiting.splice(0)) {
        if (w.key in line) w.resolve(line);
        else waiting.push(w);
      }
    }
  });
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>(
    (resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })),
  );
  return {
    child,
    exited,
    line: (key) =>
      new Promise((resolve, reject) => {
        const seen = lines.find((l) => key in l);
        if (seen) return resolve(seen);
        waiting.push({ key, resolve });
        void exited.then((e) => {
          if (!lines.some((l) => key in l))
            reject(new Error(`writer ended (${e.code ?? e.signal}) before printing ${key}: ${e.stderr}`));
        });
      }),
  };
}
