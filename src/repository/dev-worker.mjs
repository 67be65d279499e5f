// Starts a TypeScript worker module when Safehold runs from source (tests, `tsx`): worker threads
// do not inherit the parent's loader. Built code (dist/) starts its .js workers directly.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
