import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { FolderStore, ObjectRef, Repository } from '../../../src/repository/index.js';
import { backDate, backup, blobOf, DAY, initRepo, listingsOf, pieces, TestClock } from './prune-fixture.js';

/**
 * A repository with known packs, four blobs of 500 random bytes each (packTarget 2048):
 *
 * - P1 = [g1 g2 g3 g4]  all garbage once M1 is forgotten
 * - P2 = [k1 g5 g6 g7]  75 % garbage: repacked
 * - P3 = [k2 k3 k4 g8]  25 % garbage: left alone (threshold 0.3)
 * - P4 = M1's body      garbage
 *
 * written by one backup (manifest M1, every piece); a second backup (M2) keeps k1–k4. M1 is then
 * forgotten (its file deleted), and every pack is made a day old.
 */
export interface Scenario {
  dir: string;
  root: string;
  store: FolderStore;
  repo: Repository;
  clock: TestClock;
  data: Record<string, Buffer>;
  refs: Record<string, ObjectRef>;
  /** Blob id (hex) of each piece. */
  blob: Record<string, string>;
  packs: { P1: string; P2: string; P3: string; P4: string };
  m1: string;
  m2: string;
  /** What M2 must read back. */
  kept: Record<string, Buffer>;
}

export const GARBAGE = ['g1', 'g2', 'g3', 'g4', 'g5', 'g6', 'g7', 'g8'];
export const KEPT = ['k1', 'k2', 'k3', 'k4'];
const ORDER = ['g1', 'g2', 'g3', 'g4', 'k1', 'g5', 'g6', 'g7', 'k2', 'k3', 'k4', 'g8'];

export async function buildScenario(dir: string): Promise<Scenario> {
  const { store, repo } = await initRepo(dir);
  const made = pieces(ORDER.length, 500);
  const data = Object.fromEntries(ORDER.map((name, i) => [name, made[i] as Buffer]));
  const first = await backup(repo, data);
  const kept = Object.fromEntries(KEPT.map((k) => [k, data[k] as Buffer]));
  const second = await backup(repo, kept);
  const blob = Object.fromEntries(ORDER.map((n) => [n, blobOf(first.refs[n] as ObjectRef)]));
  const { live } = listingsOf(repo);
  const packOf = (name: string) => (live.get(blob[name] as string) ?? [])[0] as string;
  const m1Body = await repo.readManifest(first.manifest);
  const bodyBlob = 'c' in (m1Body.body as ObjectRef) ? ((m1Body.body as { c: string[] }).c[0] as string) : '';
  const packs = {
    P1: packOf('g1'),
    P2: packOf('k1'),
    P3: packOf('k2'),
    P4: (live.get(bodyBlob) ?? [])[0] as string,
  };
  // The layout this scenario promises, or the tests built on it mean nothing.
  const layout: Record<string, string[]> = {
    P1: ORDER.slice(0, 4),
    P2: ORDER.slice(4, 8),
    P3: ORDER.slice(8),
  };
  for (const [p, names] of Object.entries(layout))
    for (const n of names)
      if (packOf(n) !== packs[p as keyof typeof packs]) throw new Error(`scenario: ${n} is not in ${p}`);
  if (!packs.P4 || new Set(Object.values(packs)).size !== 4)
    throw new Error('scenario: unexpected pack layout');
  unlinkSync(join(store.root, 'manifests', first.manifest));
  backDate(store.root, 'data', DAY);
  return {
    dir,
    root: store.root,
    store,
    repo,
    clock: new TestClock(),
    data,
    refs: first.refs,
    blob,
    packs,
    m1: first.manifest,
    m2: second.manifest,
    kept,
  };
}
