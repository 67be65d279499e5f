/**
 * A writer process for the concurrency and crash tests: opens a folder repository with a cache of
 * its own and writes pseudo-random objects. Prints one JSON line per step on stdout.
 *
 *   node --import tsx writer.ts '<job JSON>'
 *
 * Job: { repo, cache, passphrase, objects: [{ name, size }], then?: 'exit' | 'endless' }.
 * Writes every object (the seed is its name) and a manifest whose records are
 * `{ id: name, sha256, refs: [ref] }`, printing `{ manifest, stats }`. With `then: 'endless'`
 * it goes on writing one endless stream in a second session, printing `{ streaming: true }`
 * first, until it is killed.
 */
import { FolderStore, Repository } from '../../../src/repository/index.js';
import { pseudoRandom, pseudoRandomStream, sha256 } from './data.js';

interface Job {
  repo: string;
  cache: string;
  passphrase: string;
  objects: { name: string; size: number }[];
  then?: 'exit' | 'endless';
}

const job = JSON.parse(process.argv[2] ?? '{}') as Job;
const print = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);

const store = new FolderStore(job.repo, { fsync: false });
const repo = await Repository.open(store, job.passphrase, { cacheDir: job.cache });
const session = await repo.session();
const records = [];
for (const { name, size } of job.objects) {
  // Small pieces and a yield between them interleave the writers more finely.
  const ref = await session.putStream(pseudoRandomStream(name, size, 64 * 1024));
  records.push({ id: name, sha256: sha256(pseudoRandom(name, size)), refs: [ref] });
}
const manifest = await session.writeManifest('test.writer.v1', { pid: process.pid }, records);
await session.close();
print({ manifest, stats: session.stats });

if (job.then === 'endless') {
  const endless = await repo.session();
  print({ streaming: true, lock: endless.id });
  await endless.putStream(pseudoRandomStream(`endless ${process.pid}`, Number.MAX_SAFE_INTEGER));
}
repo.close();
