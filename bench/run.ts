/**
 * Runs benchmarks and prints one JSON object per benchmark on stdout.
 *   npm run bench                    # all
 *   npm run bench -- emulator-startup crawl
 *   npm run bench -- crawl --profile medium --time-scale 0.05
 *   npm run bench -- repository-ingest --scale tiny     # see bench/README.md
 */
import { parseArgs } from 'node:util';

type Bench = (args: Record<string, string | undefined>) => Promise<Record<string, unknown>>;

const benches: Record<string, () => Promise<Bench>> = {
  'emulator-startup': async () => (await import('./emulator-startup.js')).default,
  crawl: async () => (await import('./crawl.js')).default,
  'repository-ingest': async () => (await import('./repository-ingest.js')).default,
  'repository-mime': async () => (await import('./repository-mime.js')).default,
  'repository-read': async () => (await import('./repository-read.js')).default,
  'repository-memory': async () => (await import('./repository-memory.js')).default,
};

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    profile: { type: 'string' },
    'time-scale': { type: 'string' },
    seed: { type: 'string' },
    runs: { type: 'string' },
    // repository-* benchmarks (bench/README.md)
    scale: { type: 'string' },
    size: { type: 'string' },
    'second-pass': { type: 'string' },
    'work-dir': { type: 'string' },
    'cpu-prof': { type: 'string' },
    keep: { type: 'boolean' },
  },
});
const args = Object.fromEntries(
  Object.entries(values).map(([k, v]) => [k, typeof v === 'boolean' ? String(v) : v]),
);
const names = positionals.length ? positionals : Object.keys(benches);
for (const name of names) {
  const load = benches[name];
  if (!load) {
    process.stderr.write(`unknown benchmark '${name}'; known: ${Object.keys(benches).join(', ')}\n`);
    process.exit(2);
  }
  const started = Date.now();
  const result = await (await load())(args);
  process.stdout.write(`${JSON.stringify({ bench: name, ...result, wallMs: Date.now() - started })}\n`);
}
