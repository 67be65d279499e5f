import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { codeReport, runWorker } from './repository-child.js';
import { Prng } from './repository-bytes.js';
import { writeCorpus, type Corpus } from './repository-corpus.js';
import { summariseProfiles } from './repository-profile.js';
import { benchStart } from './repository-start.js';
import { restic, resticBackup, resticInit } from './repository-restic.js';

/**
 * Read throughput, Safehold against restic on the same data in the same run. Both store the
 * corpus (pass 1 of repository-ingest), then: full restore to a directory (Safehold streams every
 * object to a file; `restic restore latest`), both verified against the corpus afterwards; the
 * large files whole (`restic dump` to /dev/null); single messages (Safehold in an open repository,
 * as the server serves a restore; restic one `restic dump` process each); and random ranges
 * (Safehold only: restic has no ranged read, its nearest is dumping the whole file).
 *   npm run bench -- repository-read --scale tiny|small|medium [--runs 3]
 */

const MiB = 1024 * 1024;
const log = (s: string) => process.stderr.write(`[read] ${s}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const round = (x: number, d = 2) => Number(x.toFixed(d));
const mibps = (bytes: number, seconds: number) => round(bytes / MiB / seconds, 1);

async function sha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(file, { highWaterMark: MiB })) h.update(c as Buffer);
  return h.digest('hex');
}

/** Compares every corpus file with its restored copy under `dir`. */
async function verifyRestore(corpus: Corpus, dir: string, hashes: Map<string, string>): Promise<number> {
  let ok = 0;
  for (const f of corpus.files) {
    const got = await sha256(path.join(dir, f.key));
    if (got !== hashes.get(f.key)) throw new Error(`restored ${f.key} in ${dir} differs from the corpus`);
    ok++;
  }
  return ok;
}

async function oneRun(
  corpus: Corpus,
  dir: string,
  hashes: Map<string, string>,
  ranges: number,
  seed: string,
  cpuProfDir: string | undefined,
) {
  const sh = { repo: path.join(dir, 'safehold-repo'), cache: path.join(dir, 'safehold-cache') };
  const rs = { repo: path.join(dir, 'restic-repo'), cache: path.join(dir, 'restic-cache') };
  log('storing the corpus (Safehold, restic)');
  const ingest = await runWorker(
    {
      kind: 'ingest',
      repoDir: sh.repo,
      cacheDir: sh.cache,
      init: true,
      root: corpus.root,
      files: corpus.files,
      recordsOut: path.join(dir, 'records.json'),
    },
    path.join(dir, 'ingest-job.json'),
  );
  await resticInit(rs);
  await resticBackup(rs, corpus.root);

  const rng = new Prng(`${seed}/singles`);
  const messages = corpus.files.filter((f) => f.kind === 'mime');
  const singles = Array.from({ length: Math.min(20, messages.length) }, () => rng.pick(messages).key);
  const large = corpus.files.filter((f) => f.kind === 'stream');

  log('Safehold reads');
  const shRestore = path.join(dir, 'safehold-restore');
  const read = await runWorker(
    {
      kind: 'read',
      repoDir: sh.repo,
      cacheDir: sh.cache,
      root: corpus.root,
      recordsFile: path.join(dir, 'records.json'),
      restoreDir: shRestore,
      ranges,
      singles,
      seed,
    },
    path.join(dir, 'read-job.json'),
    cpuProfDir,
  );
  const shVerified = await verifyRestore(corpus, shRestore, hashes);
  rmSync(shRestore, { recursive: true, force: true });

  log('restic restore');
  const rsRestore = path.join(dir, 'restic-restore');
  const restore = await restic(rs, ['restore', 'latest', '--target', rsRestore]);
  // restic restores the absolute path under the target.
  const rsVerified = await verifyRestore(corpus, path.join(rsRestore, corpus.root), hashes);
  rmSync(rsRestore, { recursive: true, force: true });

  // What every restic process pays before reading anything (key derivation, index load).
  const openSeconds: number[] = [];
  for (let i = 0; i < 3; i++) openSeconds.push((await restic(rs, ['cat', 'config'], '/dev/null')).seconds);
  log('restic dump of the large files and single messages');
  let dumpLargeSeconds = 0;
  for (const f of large)
    dumpLargeSeconds += (await restic(rs, ['dump', 'latest', path.join(corpus.root, f.key)], '/dev/null'))
      .seconds;
  const singleSeconds: number[] = [];
  for (const key of singles)
    singleSeconds.push(
      (await restic(rs, ['dump', 'latest', path.join(corpus.root, key)], '/dev/null')).seconds,
    );

  return {
    ingestSeconds: ingest.seconds,
    safehold: { ...read, verifiedFiles: shVerified },
    restic: {
      restoreSeconds: restore.seconds,
      restoreCpuSeconds: restore.cpuSeconds,
      restoreMaxRssBytes: restore.maxRssBytes,
      verifiedFiles: rsVerified,
      openSeconds: median(openSeconds),
      dumpLargeSeconds,
      dumpLargeFiles: large.length,
      singleSeconds: singleSeconds.reduce((a, b) => a + b, 0),
      singleMedianMs: median(singleSeconds) * 1000,
    },
  };
}

export default async function repositoryRead(
  args: Record<string, string | undefined>,
): Promise<Record<string, unknown>> {
  const { resticVersion, sourceAtStart, codeFrom, loadAtStart, name, scale, runs, seed } =
    await benchStart(args);
  const ranges = 200;
  const base = args['work-dir'] ?? os.tmpdir();
  mkdirSync(base, { recursive: true });
  const work = mkdtempSync(path.join(base, 'safehold-bench-read-'));
  const cpuProfDir = args['cpu-prof'] ? path.resolve(args['cpu-prof']) : undefined;
  if (cpuProfDir) mkdirSync(cpuProfDir, { recursive: true });
  try {
    log(`corpus (${name}) in ${work}`);
    const corpus = writeCorpus(path.join(work, 'corpus'), scale, seed, log);
    const hashes = new Map<string, string>();
    for (const f of corpus.files) hashes.set(f.key, await sha256(path.join(corpus.root, f.key)));
    const results: Awaited<ReturnType<typeof oneRun>>[] = [];
    for (let run = 0; run < runs; run++) {
      const dir = path.join(work, `run-${run}`);
      mkdirSync(dir);
      results.push(await oneRun(corpus, dir, hashes, ranges, seed, cpuProfDir));
      rmSync(dir, { recursive: true, force: true });
    }
    const m = (pick: (r: Awaited<ReturnType<typeof oneRun>>) => number) => median(results.map(pick));
    const largeBytes = corpus.files.filter((f) => f.kind === 'stream').reduce((s, f) => s + f.size, 0);
    const first = results[0]!;
    const shRestore = m((r) => r.safehold.restore.seconds);
    const rsRestore = m((r) => r.restic.restoreSeconds);
    const resticOpen = m((r) => r.restic.openSeconds);
    const resticDumpNet = m(
      (r) => r.restic.dumpLargeSeconds - r.restic.dumpLargeFiles * r.restic.openSeconds,
    );
    const shSingles = m((r) => r.safehold.singles.medianMs);
    const rsSingles = m((r) => r.restic.singleMedianMs);
    return {
      code: codeReport(sourceAtStart, codeFrom),
      scale: name,
      runs,
      seed,
      cpus: os.cpus().length,
      loadAverageAtStart: loadAtStart,
      loadAverageAtEnd: os.loadavg().map((x) => round(x)),
      restic: resticVersion,
      corpus: { files: corpus.files.length, bytes: corpus.bytes, largeFileBytes: largeBytes },
      restore: {
        safehold: {
          seconds: round(shRestore),
          MiBps: mibps(corpus.bytes, shRestore),
          cpuSeconds: round(m((r) => r.safehold.restore.cpuSeconds)),
          peakRssMiB: round(m((r) => r.safehold.maxRssBytes) / MiB, 1),
          verifiedFiles: first.safehold.verifiedFiles,
        },
        restic: {
          seconds: round(rsRestore),
          MiBps: mibps(corpus.bytes, rsRestore),
          cpuSeconds: round(m((r) => r.restic.restoreCpuSeconds)),
          peakRssMiB: round(m((r) => r.restic.restoreMaxRssBytes) / MiB, 1),
          verifiedFiles: first.restic.verifiedFiles,
        },
        throughputSafeholdToRestic: round(rsRestore / shRestore, 3),
        cpuSafeholdToRestic: round(
          m((r) => r.safehold.restore.cpuSeconds) / m((r) => r.restic.restoreCpuSeconds),
          3,
        ),
      },
      wholeReadToNull: {
        safehold: {
          seconds: round(m((r) => r.safehold.wholeToNull.seconds)),
          MiBps: mibps(
            corpus.bytes,
            m((r) => r.safehold.wholeToNull.seconds),
          ),
        },
        safeholdLargeFiles: {
          bytes: largeBytes,
          seconds: round(m((r) => r.safehold.wholeToNull.largeSeconds)),
          MiBps: mibps(
            largeBytes,
            m((r) => r.safehold.wholeToNull.largeSeconds),
          ),
        },
        largeFilesSafeholdToResticDumpWithoutOpen: round(
          resticDumpNet / m((r) => r.safehold.wholeToNull.largeSeconds),
          3,
        ),
        resticDumpLargeFiles: {
          bytes: largeBytes,
          seconds: round(m((r) => r.restic.dumpLargeSeconds)),
          MiBps: mibps(
            largeBytes,
            m((r) => r.restic.dumpLargeSeconds),
          ),
          secondsWithoutOpen: round(resticDumpNet),
          MiBpsWithoutOpen: mibps(largeBytes, resticDumpNet),
        },
      },
      singleMessages: {
        count: first.safehold.singles.count,
        safeholdMedianMs: round(shSingles, 1),
        safeholdNote: 'repository already open (the server keeps it open)',
        resticDumpMedianMs: round(rsSingles, 1),
        resticNote: 'one restic dump process per message (opens the repository each time)',
      },
      randomRanges: {
        count: first.safehold.ranges.count,
        bytes: first.safehold.ranges.bytes,
        MiBps: mibps(
          first.safehold.ranges.bytes,
          m((r) => r.safehold.ranges.seconds),
        ),
        medianMs: round(
          m((r) => r.safehold.ranges.medianMs),
          1,
        ),
        verified: first.safehold.ranges.verified,
        restic: 'no ranged read (restic dump streams whole files)',
      },
      openSeconds: {
        safehold: round(m((r) => r.safehold.openSeconds)),
        restic: round(resticOpen),
        note: 'opening the repository (key derivation, index); restic pays it in every process',
      },
      perRun: results,
      ...(cpuProfDir ? { profiles: summariseProfiles(cpuProfDir) } : {}),
    };
  } finally {
    if (args['keep'] === undefined) rmSync(work, { recursive: true, force: true });
    else log(`kept ${work}`);
  }
}
