import { join } from 'node:path';
import {
  FaultyStore,
  FolderStore,
  pruneRepository,
  type PruneOptions,
} from '../../../src/repository/index.js';
import {
  backDate,
  DAY,
  expectClean,
  expectManifests,
  listingsOf,
  MINUTE,
  openRepo,
  packFiles,
  pieces,
} from './prune-fixture.js';
import { buildScenario } from './prune-scenario.js';

export const WINDOW = 10 * MINUTE;
export const RULES = { safetyWindowMs: WINDOW, wasteThreshold: 0.3 } satisfies PruneOptions;

/**
 * A repository in which the next prune has every kind of work to do: packs of final garbage
 * (tombstoned by an earlier prune), fresh garbage with a pack to repack (Q1 = [d1 d2 d3 d4], only
 * d1 kept) and one to leave (Q2 = [d5 d6 d7 d8], d8 garbage), an orphan pack (an aborted session),
 * and several index files. `at` is the time that next prune runs at.
 */
export async function buildCrashTemplate(dir: string) {
  const s = await buildScenario(dir);
  await pruneRepository(s.repo, { ...RULES, clock: s.clock.now });
  const d = Object.fromEntries(pieces(8, 500).map((b, i) => [`d${i + 1}`, b]));
  const session = await s.repo.session();
  const refs = [];
  for (const name of Object.keys(d))
    refs.push({ id: name, refs: [await session.putBuffer(d[name] as Buffer)] });
  const m4 = await session.writeManifest(
    'test.prune.v1',
    {},
    refs.filter((r) => ['d1', 'd5', 'd6', 'd7'].includes(r.id)),
  );
  await session.close();
  const orphan = await s.repo.session();
  for (const p of pieces(4, 500)) await orphan.putBuffer(p);
  await orphan.abort(); // its one pack uploaded, never indexed
  backDate(s.root, 'data', DAY);
  const keptD = { d1: d['d1'], d5: d['d5'], d6: d['d6'], d7: d['d7'] } as Record<string, Buffer>;
  const expected = new Map([
    [s.m2, s.kept],
    [m4, keptD],
  ]);
  s.repo.close();
  return { root: s.root, at: s.clock.t + WINDOW + MINUTE, expected };
}

/** The state a repository settles in: what counts for "the job got done". */
export function settledState(repo: Awaited<ReturnType<typeof openRepo>>, root: string) {
  const { live, tombstoned } = listingsOf(repo);
  return {
    liveBlobs: [...live.keys()].sort(),
    tombstonedBlobs: [...tombstoned.keys()].sort(),
    packs: packFiles(root).size,
  };
}

/**
 * After a prune died: a restarted process finds a clean repository that reads back exactly, and
 * two more prunes (the second after the window) bring it to the settled state.
 */
export async function recoverAndSettle(
  dir: string,
  root: string,
  expected: Map<string, Record<string, Buffer>>,
) {
  const repo = await openRepo(new FolderStore(root, { fsync: false }), dir);
  try {
    await expectClean(repo);
    await expectManifests(repo, expected);
    // Later than the crashed prune's lock can stay live, so it no longer holds anything back.
    const later = Date.now() + 45 * MINUTE;
    await pruneRepository(repo, { ...RULES, clock: () => later });
    await pruneRepository(repo, { ...RULES, clock: () => later + WINDOW + MINUTE });
    await expectClean(repo);
    await expectManifests(repo, expected);
    return settledState(repo, root);
  } finally {
    repo.close();
  }
}

/** Opens a copy of the template through a FaultyStore. */
export async function openFaulty(dir: string, root: string) {
  const store = new FaultyStore(new FolderStore(root, { fsync: false }));
  return { store, repo: await openRepo(store, dir) };
}

export const repoIn = (dir: string) => join(dir, 'repo');
