/**
 * The Safehold side of the repository benchmarks, in its own process (see repository-child.ts):
 * `node repository-worker.js <job.json>` with SAFEHOLD_BENCH_LIBRARY naming the repository module
 * to load (dist/ or src/). Prints one JSON result line.
 */
import {
  closeSync,
  createReadStream,
  createWriteStream,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
} from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type * as RepositoryModule from '../src/repository/index.js';
import type { ObjectRef, Repository } from '../src/repository/index.js';
import { generatedStream, Prng } from './repository-bytes.js';
import {
  PASSPHRASE,
  type IngestJob,
  type IngestResult,
  type Job,
  type ReadJob,
  type ReadResult,
  type StreamJob,
  type StreamResult,
} from './repository-jobs.js';

const library = process.env['SAFEHOLD_BENCH_LIBRARY'];
if (!library)
  throw new Error('SAFEHOLD_BENCH_LIBRARY is not set (run the worker through repository-child.ts)');
const { FolderStore, Repository: Repo } = (await import(library)) as typeof RepositoryModule;

const MiB = 1024 * 1024;
const log = (s: string) => process.stderr.write(`[safehold] ${s}\n`);
const maxRss = () => process.resourceUsage().maxRSS * 1024;
/** CPU seconds (user + system) of this process so far. */
const cpu = () => {
  const u = process.resourceUsage();
  return (u.userCPUTime + u.systemCPUTime) / 1e6;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

async function openRepo(repoDir: string, cacheDir: string, init: boolean): Promise<Repository> {
  const store = new FolderStore(repoDir);
  return init ? Repo.init(store, PASSPHRASE, { cacheDir }) : Repo.open(store, PASSPHRASE, { cacheDir });
}

async function ingest(job: IngestJob): Promise<Omit<IngestResult, 'processSeconds'>> {
  const started = performance.now();
  const cpu0 = cpu();
  const repo = await openRepo(job.repoDir, job.cacheDir, job.init);
  const session = await repo.session();
  const refs = new Map<string, ObjectRef>();
  if (job.carryFile)
    for (const r of JSON.parse(readFileSync(job.carryFile, 'utf8')) as { key: string; ref: ObjectRef }[])
      refs.set(r.key, r.ref);
  // Read messages a few files ahead, as restic reads files concurrently with hashing.
  const ahead = new Map<number, Promise<Buffer>>();
  let next = 0;
  const fill = (i: number) => {
    while (next < job.files.length && next < i + 8) {
      const f = job.files[next]!;
      if (f.kind === 'mime') {
        const p = readFile(path.join(job.root, f.key));
        p.catch(() => undefined);
        ahead.set(next, p);
      }
      next++;
    }
  };
  let bytesIn = 0;
  for (let i = 0; i < job.files.length; i++) {
    fill(i);
    const f = job.files[i]!;
    let ref: ObjectRef;
    if (f.kind === 'mime') {
      const message = await ahead.get(i)!;
      ahead.delete(i);
      ref = await session.putMime(message);
      bytesIn += message.length;
    } else {
      log(`putStream ${f.key} (${Math.round(f.size / MiB)} MiB)`);
      ref = await session.putStream(createReadStream(path.join(job.root, f.key), { highWaterMark: MiB }));
      bytesIn += ref.s;
    }
    refs.set(f.key, ref);
    if (i % 2000 === 1999) log(`${i + 1}/${job.files.length} files`);
  }
  const records = [...refs].map(([key, ref]) => ({ key, ref }));
  await session.writeManifest(
    'safehold.bench.corpus.v1',
    { files: records.length },
    records.map((r) => ({ key: r.key, refs: [r.ref] })),
  );
  await session.close();
  repo.close();
  const seconds = (performance.now() - started) / 1000;
  await writeFile(job.recordsOut, JSON.stringify(records));
  const s = session.stats;
  return {
    seconds,
    cpuSeconds: cpu() - cpu0,
    bytesIn,
    newBlobs: s.newBlobs,
    dedupedBlobs: s.dedupedBlobs,
    packs: s.packs,
    maxRssBytes: maxRss(),
    repoConfig: { chunker: { ...repo.config.chunker }, packTarget: repo.config.packSize.target },
  };
}

async function drain(source: AsyncIterable<Buffer>): Promise<number> {
  let n = 0;
  for await (const c of source) n += c.length;
  return n;
}

async function read(job: ReadJob): Promise<Omit<ReadResult, 'processSeconds'>> {
  let t = performance.now();
  const repo = await openRepo(job.repoDir, job.cacheDir, false);
  const openSeconds = (performance.now() - t) / 1000;
  const records = JSON.parse(readFileSync(job.recordsFile, 'utf8')) as { key: string; ref: ObjectRef }[];
  const refOf = new Map(records.map((r) => [r.key, r.ref]));

  log(`restore of ${records.length} objects`);
  for (const d of new Set(records.map((r) => path.dirname(r.key))))
    mkdirSync(path.join(job.restoreDir, d), { recursive: true });
  t = performance.now();
  const cpu0 = cpu();
  let restored = 0;
  for (const r of records) {
    await pipeline(repo.readObject(r.ref), createWriteStream(path.join(job.restoreDir, r.key)));
    restored += r.ref.s;
  }
  const restore = {
    seconds: (performance.now() - t) / 1000,
    cpuSeconds: cpu() - cpu0,
    bytes: restored,
    files: records.length,
  };

  log('whole read to null');
  t = performance.now();
  let toNull = 0;
  let largeSeconds = 0;
  let largeBytes = 0;
  for (const r of records) {
    const t0 = performance.now();
    const n = await drain(repo.readObject(r.ref));
    toNull += n;
    if (r.key.startsWith('files/')) {
      largeSeconds += (performance.now() - t0) / 1000;
      largeBytes += n;
    }
  }
  const wholeToNull = { seconds: (performance.now() - t) / 1000, bytes: toNull, largeSeconds, largeBytes };

  // Random ranges: mostly inside the large files (a user opening part of a big file), some messages.
  const rng = new Prng(`${job.seed}/ranges`);
  const large = records.filter((r) => r.ref.s > 16 * MiB);
  const picks = Array.from({ length: job.ranges }, () => {
    const r = large.length && rng.next() < 0.8 ? rng.pick(large) : rng.pick(records);
    const len = Math.min(r.ref.s, rng.logUniform(4096, 4 * MiB));
    const start = rng.int(0, r.ref.s - len + 1);
    return { r, start, end: start + len };
  });
  log(`${picks.length} random ranges`);
  const rangeMs: number[] = [];
  let rangeBytes = 0;
  t = performance.now();
  for (const p of picks) {
    const t0 = performance.now();
    rangeBytes += await drain(repo.readObject(p.r.ref, p.start, p.end));
    rangeMs.push(performance.now() - t0);
  }
  const rangeSeconds = (performance.now() - t) / 1000;
  // Untimed: every range again, compared with the corpus file.
  let verified = 0;
  for (const p of picks) {
    const parts: Buffer[] = [];
    for await (const c of repo.readObject(p.r.ref, p.start, p.end)) parts.push(c as Buffer);
    const want = Buffer.alloc(p.end - p.start);
    const fd = openSync(path.join(job.root, p.r.key), 'r');
    readSync(fd, want, 0, want.length, p.start);
    closeSync(fd);
    if (!Buffer.concat(parts).equals(want))
      throw new Error(`range ${p.start}-${p.end} of ${p.r.key} differs from the corpus`);
    verified++;
  }

  log(`${job.singles.length} single items`);
  const singleMs: number[] = [];
  let singleBytes = 0;
  t = performance.now();
  for (const key of job.singles) {
    const t0 = performance.now();
    singleBytes += await drain(repo.readObject(refOf.get(key)!));
    singleMs.push(performance.now() - t0);
  }
  const singles = {
    seconds: (performance.now() - t) / 1000,
    bytes: singleBytes,
    count: job.singles.length,
    medianMs: median(singleMs),
  };
  repo.close();
  return {
    openSeconds,
    restore,
    wholeToNull,
    ranges: {
      seconds: rangeSeconds,
      bytes: rangeBytes,
      count: picks.length,
      medianMs: median(rangeMs),
      verified,
    },
    singles,
    maxRssBytes: maxRss(),
  };
}

async function stream(job: StreamJob): Promise<Omit<StreamResult, 'processSeconds'>> {
  const peak: Record<string, number> = { rss: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
  const sample = () => {
    const m = process.memoryUsage() as unknown as Record<string, number>;
    for (const k of Object.keys(peak)) peak[k] = Math.max(peak[k]!, m[k]!);
  };
  const sampler = setInterval(sample, 100);
  const started = performance.now();
  const cpu0 = cpu();
  const repo = await openRepo(job.repoDir, job.cacheDir, true);
  const session = await repo.session();
  // Peak RSS so far at every tenth of the stream: flat means bounded, rising means growth with size.
  const timeline: number[] = [];
  const tenth = Math.max(1, Math.floor(job.bytes / 10));
  async function* watched(): AsyncGenerator<Buffer> {
    let sent = 0;
    for await (const piece of generatedStream(job.bytes, job.seed, log)) {
      if (Math.floor((sent + piece.length) / tenth) > Math.floor(sent / tenth)) timeline.push(maxRss());
      sent += piece.length;
      yield piece;
    }
  }
  const ref = await session.putStream(watched());
  await session.writeManifest('safehold.bench.stream.v1', {}, [{ key: 'stream', refs: [ref] }]);
  await session.close();
  repo.close();
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  sample();
  if (ref.s !== job.bytes) throw new Error(`stored ${ref.s} bytes of ${job.bytes}`);
  return {
    seconds,
    cpuSeconds: cpu() - cpu0,
    bytes: ref.s,
    storedBytes: session.stats.storedBytes,
    newBlobs: session.stats.newBlobs,
    maxRssBytes: maxRss(),
    peakSampled: peak,
    maxRssTimeline: timeline,
  };
}

async function main(): Promise<void> {
  // What node, tsx and the loaded modules take before any work (the floor under every peak).
  const startRssBytes = process.memoryUsage().rss;
  const job = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Job;
  const result =
    job.kind === 'ingest' ? await ingest(job) : job.kind === 'read' ? await read(job) : await stream(job);
  process.stdout.write(`${JSON.stringify({ ...result, startRssBytes })}\n`);
}

await main();
