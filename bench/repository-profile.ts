import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Summarises a V8 `.cpuprofile` (node --cpu-prof) of the Safehold worker: where the time goes, by
 * stage of the write path. Each sample is charged to the innermost frame on its stack that a rule
 * below recognises (a native `update` under node:internal/crypto/hash counts as hashing, a
 * Buffer.concat under pack.ts as packing), so the categories add up to 100%.
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const RULES: [string, (f: CallFrame) => boolean][] = [
  ['idle', (f) => f.functionName === '(idle)'],
  ['garbage collection', (f) => f.functionName === '(garbage collector)'],
  [
    'hashing (HMAC-SHA-256 content ids, SHA-256 pack ids)',
    (f) => /internal\/crypto\/hash|hmac/i.test(f.url) || f.functionName === 'contentId',
  ],
  ['handing blobs to sealing threads (copy, postMessage)', (f) => /seal-pool\.[jt]s/.test(f.url)],
  [
    'encryption (AES-256-GCM)',
    (f) => /internal\/crypto\/cipher/.test(f.url) || /^(seal|unseal)$/.test(f.functionName),
  ],
  [
    'zstd',
    (f) =>
      /zstd/.test(f.url) ||
      (/repository\/blob\.[jt]s/.test(f.url) && /Blob$|^worthCompressing$/.test(f.functionName)),
  ],
  ['chunking (FastCDC)', (f) => /content\/fastcdc/.test(f.url)],
  ['MIME split and base64', (f) => /content\/mime|base64-wrap/.test(f.url)],
  ['packing', (f) => /repository\/pack\.[jt]s/.test(f.url)],
  ['index cache (SQLite)', (f) => /index-cache|better-sqlite3/.test(f.url)],
  ['index and manifest encoding', (f) => /index-file|manifest\.[jt]s|objects\.[jt]s/.test(f.url)],
  ['store (FolderStore)', (f) => /store\/folder/.test(f.url)],
  ['sealing thread (other)', (f) => /seal-worker\.[jt]s/.test(f.url)],
  ['reader (object assembly)', (f) => /repository\/reader\.[jt]s/.test(f.url)],
  ['session bookkeeping', (f) => /repository\/session\.[jt]s/.test(f.url)],
  ['benchmark harness', (f) => /repository-(worker|corpus|jobs)\.[jt]s/.test(f.url)],
  ['module loading and start-up', (f) => /tsx|esbuild|internal\/modules/.test(f.url)],
  ['(program): native code outside JS frames', (f) => f.functionName === '(program)'],
];

/**
 * File-system and stream frames say what kind of work, not whose: the walk goes on up the stack to
 * find the owner (FolderStore, or the benchmark reading its corpus). After an await the stack
 * often ends there, so unattributed file-system time keeps this category.
 */
const FS = /internal\/fs\/|internal\/streams/;
const FS_UNATTRIBUTED = 'file system and streams (store or corpus; the stack does not say)';

export interface ProfileSummary {
  file: string;
  /** From the file name node gives it: CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile. */
  pid: number;
  thread: string;
  totalMs: number;
  /** Share of samples per stage, % of total (idle included so the parts add up). */
  byStage: Record<string, number>;
  /** Same, without idle time: where the CPU went. */
  byStageBusy: Record<string, number>;
  topSelf: { fn: string; where: string; pct: number }[];
}

export function summariseProfile(file: string): ProfileSummary {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  prof.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const stage = new Map<string, number>();
  const fn = new Map<string, number>();
  for (const [id, us] of self) {
    let category = 'other JS';
    let fs = false;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      const hit = RULES.find(([, test]) => test(frame));
      if (hit) {
        category =
          fs && hit[0] === 'benchmark harness' ? 'reading the corpus, writing restores (fs)' : hit[0];
        break;
      }
      if (FS.test(frame.url)) {
        fs = true;
        category = FS_UNATTRIBUTED;
      }
    }
    stage.set(category, (stage.get(category) ?? 0) + us);
    const f = byId.get(id)!.callFrame;
    const key = `${f.functionName || '(anonymous)'}\t${f.url.replace(/^.*\/(src|bench|node_modules)\//, '$1/')}:${f.lineNumber + 1}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
  }
  const pct = (us: number, of: number) => Number(((100 * us) / Math.max(1, of)).toFixed(1));
  const sorted = [...stage].sort((a, b) => b[1] - a[1]);
  const busy = total - (stage.get('idle') ?? 0);
  const [, , , pid, tid] = path.basename(file).split('.');
  return {
    file,
    pid: Number(pid),
    thread: tid === '0' ? 'main' : `worker thread ${tid}`,
    totalMs: Math.round(total / 1000),
    byStage: Object.fromEntries(sorted.map(([k, v]) => [k, pct(v, total)])),
    byStageBusy: Object.fromEntries(sorted.filter(([k]) => k !== 'idle').map(([k, v]) => [k, pct(v, busy)])),
    topSelf: [...fn]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([k, v]) => {
        const [name, where] = k.split('\t');
        return { fn: name!, where: where!, pct: pct(v, total) };
      }),
  };
}

/**
 * Summaries of the profiles in `dir` (one per worker process, oldest first), leaving out threads
 * that were idle more than 90% of the time (tsx's module-loader thread).
 */
export function summariseProfiles(dir: string): ProfileSummary[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort()
    .map((f) => summariseProfile(path.join(dir, f)))
    .filter((s) => (s.byStage['idle'] ?? 0) <= 90);
}
