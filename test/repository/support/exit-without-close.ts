/**
 * Writes through a session with sealing threads and never closes the repository: the process
 * must still exit by itself (idle sealing threads do not keep it alive). Argument: a temp dir.
 */
import { join } from 'node:path';
import { FolderStore, Repository } from '../../../src/repository/index.js';

const dir = process.argv[2] as string;
const repo = await Repository.init(new FolderStore(join(dir, 'repo')), 'passphrase', {
  cacheDir: join(dir, 'cache'),
  scrypt: { N: 1024, r: 8, p: 1 },
  sealThreads: 1,
});
const session = await repo.session();
await session.putBuffer(Buffer.alloc(300_000, 'x'));
await session.close();
process.stdout.write('written\n');
