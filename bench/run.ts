/**
 * Runs benchmarks and prints one JSON object per benchmark on stdout.
 *   npm run bench                    # all
 *   npm run bench -- emulator-startup crawl
 *   npm run bench -- crawl --profile medium --time-scale 0.05
 */
import { parseArgs } from 'node:util';

type Bench = (args: Record<string, string | undefined>) => Promise<Record<string, unknown>>;

const benches: Record<string, () => Promise<Bench>> = {
  'emulator-startup': async () => (await import('./emulator-startup.js')).default,
  crawl: async () => (await import('./crawl.js')).default,
};

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    profile: { type: 'string' },
    'time-scale': { type: 'string' },
    seed: { type: 'string' },
    runs: { type: 'string' },
  },
});
const names = positionals.length ? positionals : Object.keys(benches);
for (const name of names) {
  const load = benches[name];
  if (!load) {
    process.stderr.write(`unknown benchmark '${name}'; known: ${Object.keys(benches).join(', ')}\n`);
    process.exit(2);
  }
  const started = Date.now();
  const result = await (await load())(values);
  process.stdout.write(`${JSON.stringify({ bench: name, ...result, wallMs: Date.now() - started })}\n`);
}
