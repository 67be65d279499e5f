import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { codeReport, runWorker } from './repository-child.js';
import type { IngestResult } from './repository-jobs.js';
import { checkCorpus, mutateCorpus, writeCorpus, type Corpus, type CorpusFile } from './repository-corpus.js';
import { summariseProfiles } from './repository-profile.js';
import { benchStart } from './repository-start.js';
import { dirBytes, resticBackup, resticInit, type ResticBackup } from './repository-restic.js';

/**
 * Ingest throughput and stored size, Safehold against restic on the same corpus in the same run:
 * pass 1 stores the generated corpus (messages through putMime, large files through putStream,
 * one WriteSession, one manifest); pass 2 stores what a 10% change made new (restic finds the
 * unchanged files through its parent snapshot; Safehold, like the backup engine with Graph delta,
 * is handed only the changed files and carries the other references into the new manifest).
 * `--second-pass all` instead re-reads everything on both sides (restic `--force`).
 *   npm run bench -- repository-ingest --scale tiny|small|medium|large --runs 3 [--cpu-prof dir] [--keep]
 */

const MiB = 1024 * 1024;
const log = (s: string) => process.stderr.write(`[ingest] ${s}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const round = (x: number, d = 2) => Number(x.toFixed(d));

interface Side {
  seconds: number;
  cpuSeconds: number;
  storedBytes: number;
  maxRssBytes: number;
}
interface PassRun {
  inputBytes: number;
  safehold: Side & {
    processSeconds: number;
    rssBeforeWorkBytes: number;
    repoConfig: IngestResult['repoConfig'];
    newBlobs: number;
    dedupedBlobs: number;
    packs: number;
  };
  restic: Side & { dataAdded: unknown; filesNew: unknown; filesChanged: unknown; filesUnmodified: unknown };
}

function safeholdSide(r: IngestResult & { startRssBytes: number }, repoDir: string): PassRun['safehold'] {
  return {
    seconds: r.seconds,
    cpuSeconds: r.cpuSeconds,
    storedBytes: dirBytes(repoDir),
    maxRssBytes: r.maxRssBytes,
    rssBeforeWorkBytes: r.startRssBytes,
    repoConfig: r.repoConfig,
    processSeconds: r.processSeconds,
    newBlobs: r.newBlobs,
    dedupedBlobs: r.dedupedBlobs,
    packs: r.packs,
  };
}

function resticSide(r: ResticBackup, repoDir: string): PassRun['restic'] {
  return {
    seconds: r.seconds,
    cpuSeconds: r.cpuSeconds,
    storedBytes: dirBytes(repoDir),
    maxRssBytes: r.maxRssBytes,
    dataAdded: r.summary['data_added'],
    filesNew: r.summary['files_new'],
    filesChanged: r.summary['files_changed'],
    filesUnmodified: r.summary['files_unmodified'],
  };
}

async function oneRun(
  corpus: Corpus,
  dir: string,
  run: number,
  secondPassAll: boolean,
  cpuProfDir: string | undefined,
): Promise<PassRun[]> {
  const sh = { repo: path.join(dir, 'safehold-repo'), cache: path.join(dir, 'safehold-cache') };
  const rs = { repo: path.join(dir, 'restic-repo'), cache: path.join(dir, 'restic-cache') };
  await resticInit(rs);
  const passes: PassRun[] = [];
  // Alternate which side goes first, so neither always meets a warmer page cache.
  const inOrder = async <A, B>(a: () => Promise<A>, b: () => Promise<B>): Promise<[A, B]> => {
    if (run % 2 === 0) {
      const x = await a();
      return [x, await b()];
    }
    const y = await b();
    return [await a(), y];
  };
  const ingest = (pass: number, files: CorpusFile[], init: boolean) =>
    runWorker(
      {
        kind: 'ingest',
        repoDir: sh.repo,
        cacheDir: sh.cache,
        init,
        root: corpus.root,
        files,
        ...(init ? {} : { carryFile: path.join(dir, `records-${pass - 1}.json`) }),
        recordsOut: path.join(dir, `records-${pass}.json`),
      },
      path.join(dir, `job-${pass}.json`),
      cpuProfDir,
    );

  log(`run ${run + 1}, pass 1: ${corpus.files.length} files, ${Math.round(corpus.bytes / MiB)} MiB`);
  const [s1, r1] = await inOrder(
    () => ingest(1, corpus.files, true),
    () => resticBackup(rs, corpus.root),
  );
  passes.push({
    inputBytes: corpus.bytes,
    safehold: safeholdSide(s1, sh.repo),
    restic: resticSide(r1, rs.repo),
  });

  const mutation = mutateCorpus(corpus);
  try {
    const files = secondPassAll ? mutation.after.files : mutation.changed;
    const inputBytes = files.reduce((s, f) => s + f.size, 0);
    log(`run ${run + 1}, pass 2: ${files.length} files, ${Math.round(inputBytes / MiB)} MiB to read`);
    if (secondPassAll) writeFileSync(path.join(dir, 'records-1.json'), '[]');
    const [s2, r2] = await inOrder(
      () => ingest(2, files, false),
      () => resticBackup(rs, corpus.root, secondPassAll ? ['--force'] : []),
    );
    passes.push({ inputBytes, safehold: safeholdSide(s2, sh.repo), restic: resticSide(r2, rs.repo) });
  } finally {
    mutation.undo();
  }
  return passes;
}

function summarisePass(runs: PassRun[]): Record<string, unknown> {
  const input = runs[0]!.inputBytes;
  const side = (pick: (r: PassRun) => Side) => {
    const seconds = median(runs.map((r) => pick(r).seconds));
    const cpuSeconds = median(runs.map((r) => pick(r).cpuSeconds));
    return {
      seconds: round(seconds),
      MiBps: round(input / MiB / seconds, 1),
      cpuSeconds: round(cpuSeconds),
      cpuSecondsPerGiB: round(cpuSeconds / (input / (1024 * MiB))),
      storedBytes: median(runs.map((r) => pick(r).storedBytes)),
      peakRssMiB: round(median(runs.map((r) => pick(r).maxRssBytes)) / MiB, 1),
    };
  };
  const sh = side((r) => r.safehold);
  const rs = side((r) => r.restic);
  return {
    inputBytes: input,
    safehold: {
      ...sh,
      rssBeforeWorkMiB: round(median(runs.map((r) => r.safehold.rssBeforeWorkBytes)) / MiB, 1),
    },
    restic: rs,
    ratios: {
      throughputSafeholdToRestic: round(sh.MiBps / rs.MiBps, 3),
      cpuSafeholdToRestic: round(sh.cpuSeconds / rs.cpuSeconds, 3),
      storedSafeholdToRestic: round(sh.storedBytes / rs.storedBytes, 3),
      peakRssSafeholdToRestic: round(sh.peakRssMiB / rs.peakRssMiB, 3),
    },
  };
}

export default async function repositoryIngest(
  args: Record<string, string | undefined>,
): Promise<Record<string, unknown>> {
  const { resticVersion, sourceAtStart, codeFrom, loadAtStart, name, scale, runs, seed } =
    await benchStart(args);
  const secondPass = args['second-pass'] ?? 'changed';
  if (secondPass !== 'changed' && secondPass !== 'all')
    throw new Error(`--second-pass must be 'changed' or 'all', got '${secondPass}'`);
  const base = args['work-dir'] ?? os.tmpdir();
  mkdirSync(base, { recursive: true });
  const work = mkdtempSync(path.join(base, 'safehold-bench-ingest-'));
  const cpuProfDir = args['cpu-prof'] ? path.resolve(args['cpu-prof']) : undefined;
  if (cpuProfDir) mkdirSync(cpuProfDir, { recursive: true });
  try {
    log(`corpus (${name}) in ${work}`);
    const corpus = writeCorpus(path.join(work, 'corpus'), scale, seed, log);
    const all: PassRun[][] = [];
    for (let run = 0; run < runs; run++) {
      const dir = path.join(work, `run-${run}`);
      mkdirSync(dir);
      checkCorpus(corpus); // the previous run's second pass was undone
      all.push(await oneRun(corpus, dir, run, secondPass === 'all', cpuProfDir));
      rmSync(dir, { recursive: true, force: true });
    }
    return {
      code: codeReport(sourceAtStart, codeFrom),
      scale: name,
      runs,
      seed,
      secondPass,
      cpus: os.cpus().length,
      loadAverageAtStart: loadAtStart,
      loadAverageAtEnd: os.loadavg().map((x) => round(x)),
      node: process.version,
      restic: resticVersion,
      settings: {
        safehold: 'FolderStore with fsync, zstd level 3 (large blobs sampled first), AES-256-GCM',
        safeholdConfig: all[0]?.[0]?.safehold.repoConfig,
        restic: 'local repository, --repository-version 2, --compression auto, cache in the run directory',
      },
      corpus: {
        messages: scale.messages,
        largeFilesMiB: scale.filesMiB,
        files: corpus.files.length,
        bytes: corpus.bytes,
      },
      pass1: summarisePass(all.map((r) => r[0]!)),
      pass2: summarisePass(all.map((r) => r[1]!)),
      perRun: all,
      ...(cpuProfDir ? { profiles: summariseProfiles(cpuProfDir) } : {}),
    };
  } finally {
    if (args['keep'] === undefined) rmSync(work, { recursive: true, force: true });
    else log(`kept ${work}`);
  }
}
