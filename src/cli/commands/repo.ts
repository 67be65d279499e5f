import { mkdirSync } from 'node:fs';
import type { Command } from 'commander';
import { checkRepository, pruneRepository, Repository, repositoryStats } from '../../repository/index.js';
import { createOutput, EXIT, ReportedFailure, UserError } from '../output.js';
import {
  asUserError,
  newPassphrase,
  openRepoStore,
  repoPassphrase,
  repoSettings,
  scryptParams,
  withRepository,
  type RepoFlags,
} from './repo-config.js';
import {
  renderCheck,
  renderInfo,
  renderKeys,
  renderPrune,
  renderStats,
  type InfoResult,
} from './repo-format.js';

/** The options every repository command takes. */
function repoCommand(parent: Command, name: string, description: string): Command {
  return parent
    .command(name)
    .description(description)
    .option(
      '--repository <location>',
      'folder path or s3://bucket/prefix?endpoint=… (default: SAFEHOLD_REPOSITORY, else <data dir>/repository)',
    )
    .option(
      '--passphrase-file <file>',
      'read the passphrase from this file (default: SAFEHOLD_PASSPHRASE_FILE)',
    )
    .option('--json', 'print one JSON document');
}

/** `--subset N%`: a percentage of packs, 0 < N ≤ 100. */
export function parseSubset(value: string): number {
  const m = /^(\d+(?:\.\d+)?)%$/.exec(value.trim());
  const n = m ? Number(m[1]) : NaN;
  if (!(n > 0 && n <= 100))
    throw new UserError(`--subset ${value}: expected a percentage N% with 0 < N ≤ 100, e.g. 10%`, EXIT.usage);
  return n;
}

async function resolveKeyId(repo: Repository, given: string): Promise<string> {
  if (!/^[0-9a-f]{4,64}$/i.test(given))
    throw new UserError(`${given}: expected a key id (at least its first 4 hex digits)`, EXIT.usage);
  const matches = (await repo.listKeys()).filter((k) => k.id.startsWith(given.toLowerCase()));
  if (matches.length === 0) throw new UserError(`no key ${given} (see 'safehold repo key list')`);
  if (matches.length > 1) throw new UserError(`${given} matches ${matches.length} keys; give more of the id`);
  return (matches[0] as { id: string }).id;
}

function registerKeys(repo: Command): void {
  const key = repo.command('key').description('manage the passphrases that unlock the repository');

  repoCommand(key, 'list', 'list the key files (one per passphrase)').action(async (flags: RepoFlags) => {
    const out = createOutput(!!flags.json);
    const keys = await withRepository(flags, (r) => r.listKeys());
    out.result({ keys }, () => renderKeys(keys));
  });

  repoCommand(key, 'add', 'add another passphrase for the same repository')
    .option(
      '--new-passphrase-file <file>',
      'read the new passphrase from this file (default: SAFEHOLD_NEW_PASSPHRASE, else ask)',
    )
    .option('--name <name>', 'a label for the new key, e.g. who holds it', 'added')
    .action(async (flags: RepoFlags & { newPassphraseFile?: string; name: string }) => {
      const out = createOutput(!!flags.json);
      const params = scryptParams();
      const id = await withRepository(flags, async (r) =>
        r.addKey(await newPassphrase(flags), flags.name, params),
      );
      out.result({ id, name: flags.name }, () => `Added key ${id} ("${flags.name}").`);
    });

  repoCommand(key, 'passwd', 'change the passphrase of the key this command opens with')
    .option(
      '--new-passphrase-file <file>',
      'read the new passphrase from this file (default: SAFEHOLD_NEW_PASSPHRASE, else ask)',
    )
    .action(async (flags: RepoFlags & { newPassphraseFile?: string }) => {
      const out = createOutput(!!flags.json);
      const params = scryptParams();
      const result = await withRepository(flags, async (r) => {
        const previous = (await r.listKeys()).find((k) => k.current)?.id;
        const id = await r.changePassphrase(await newPassphrase(flags), params);
        return { id, previous };
      });
      out.result(
        result,
        () =>
          `Passphrase changed: key ${result.previous ?? '?'} replaced by ${result.id}. The old passphrase no longer opens the repository.`,
      );
    });

  repoCommand(key, 'remove', 'remove a key (its passphrase stops working)')
    .argument('<id>', 'key id, or a unique start of it (see key list)')
    .action(async (given: string, flags: RepoFlags) => {
      const out = createOutput(!!flags.json);
      const removed = await withRepository(flags, async (r) => {
        const id = await resolveKeyId(r, given);
        await r.removeKey(id);
        return id;
      });
      out.result({ removed }, () => `Removed key ${removed}.`);
    });
}

/** `safehold repo …`: create, inspect, verify and prune the backup repository, and manage its keys. */
export function registerRepo(program: Command): void {
  const repo = program
    .command('repo')
    .description('create, inspect, verify and prune the backup repository; manage its passphrases');

  repoCommand(repo, 'init', 'create a new, empty repository')
    .option('--key-name <name>', 'a label for the first key', 'default')
    .action(async (flags: RepoFlags & { keyName: string }) => {
      const out = createOutput(!!flags.json);
      const settings = repoSettings(flags);
      const scrypt = scryptParams();
      const store = await openRepoStore(settings);
      try {
        // Refuse before asking for a passphrase that could not be used (Repository.init checks again).
        if (await store.stat('config'))
          throw new UserError(`${store.location} already holds a repository; refusing to overwrite it`);
        const passphrase = await repoPassphrase(flags, 'init');
        const r = await Repository.init(store, passphrase, {
          cacheDir: settings.cacheDir,
          keyName: flags.keyName,
          ...(scrypt ? { scrypt } : {}),
        });
        try {
          const key = (await r.listKeys()).find((k) => k.current);
          const result = { id: r.id, location: store.location, keyId: key?.id, config: r.config };
          out.result(
            result,
            () =>
              `Created repository ${r.id} in ${store.location}.\n` +
              'Keep the passphrase safe: without it nobody, including you, can read the backups.',
          );
        } finally {
          r.close();
        }
      } catch (e) {
        throw asUserError(e);
      } finally {
        await store.close();
      }
    });

  repoCommand(repo, 'info', "show the repository's identity and format").action(async (flags: RepoFlags) => {
    const out = createOutput(!!flags.json);
    const result = await withRepository(flags, async (r): Promise<InfoResult> => {
      const keys = await r.listKeys();
      const current = keys.find((k) => k.current);
      return {
        id: r.id,
        location: r.store.location,
        config: r.config,
        keys: keys.length,
        currentKey: current && {
          id: current.id,
          name: current.name,
          host: current.host,
          created: current.created,
        },
      };
    });
    out.result(result, () => renderInfo(result));
  });

  repoCommand(repo, 'stats', 'count restore points, packs and blobs; show sizes').action(
    async (flags: RepoFlags) => {
      const out = createOutput(!!flags.json);
      const stats = await withRepository(flags, (r) => repositoryStats(r));
      out.result(stats, () => renderStats(stats));
    },
  );

  repoCommand(repo, 'check', 'verify the repository; exit 1 when anything is damaged')
    .option('--read-data', 'also read and verify every blob (downloads the whole repository)')
    .option('--subset <percent>', 'with --read-data: read a random N% of the packs, e.g. 10%')
    .action(async (flags: RepoFlags & { readData?: boolean; subset?: string }) => {
      const out = createOutput(!!flags.json);
      if (flags.subset !== undefined && !flags.readData)
        throw new UserError('--subset needs --read-data', EXIT.usage);
      const subsetPercent = flags.subset === undefined ? undefined : parseSubset(flags.subset);
      const report = await withRepository(flags, (r) =>
        checkRepository(r, {
          readData: !!flags.readData,
          ...(subsetPercent === undefined ? {} : { subsetPercent }),
          onProgress: (stage) => out.info(`  · ${stage}`),
        }),
      );
      out.result(report, () => renderCheck(report, !!flags.readData));
      if (!report.ok) throw new ReportedFailure(`check found ${report.problems.length} problems`);
    });

  repoCommand(repo, 'prune', 'free the space of data no restore point references (safe during backups)')
    .option('--dry-run', 'only report what would be done')
    .action(async (flags: RepoFlags & { dryRun?: boolean }) => {
      const out = createOutput(!!flags.json);
      const report = await withRepository(flags, (r, settings) => {
        // The mark set can grow to gigabytes: keep it beside the cache, not in a RAM-backed /tmp.
        mkdirSync(settings.cacheDir, { recursive: true });
        return pruneRepository(r, {
          dryRun: !!flags.dryRun,
          workDir: settings.cacheDir,
          onProgress: (stage) => out.info(`  · ${stage}`),
        });
      });
      out.result(report, () => renderPrune(report));
      if (report.damagedPacks.length)
        throw new ReportedFailure(`prune found ${report.damagedPacks.length} damaged packs`);
    });

  registerKeys(repo);
}
