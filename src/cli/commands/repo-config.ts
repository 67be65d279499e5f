import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  BlobStoreError,
  openStore,
  parseStoreLocation,
  Repository,
  RepositoryError,
  type BlobStore,
  type InitOptions,
} from '../../repository/index.js';
import { EXIT, UserError } from '../output.js';
import { canPrompt, promptHidden, promptNewPassphrase } from './repo-prompt.js';

/** Options every `safehold repo …` command takes. */
export interface RepoFlags {
  repository?: string;
  passphraseFile?: string;
  json?: boolean;
}

/** Where the repository is and where this client keeps its disposable files. */
export interface RepoSettings {
  dataDir: string;
  location: string;
  /** The index cache (and prune's mark set) live here. */
  cacheDir: string;
}

type Env = Record<string, string | undefined>;
type ScryptParams = NonNullable<InitOptions['scrypt']>;

/** An unset and an empty variable mean the same: not configured. */
const envValue = (env: Env, name: string): string | undefined => env[name] || undefined;

/** SAFEHOLD_DATA_DIR (default ./data), then --repository, SAFEHOLD_REPOSITORY or `<data dir>/repository`. */
export function repoSettings(flags: RepoFlags, env: Env = process.env): RepoSettings {
  const dataDir = resolve(envValue(env, 'SAFEHOLD_DATA_DIR') ?? 'data');
  const given = flags.repository ?? envValue(env, 'SAFEHOLD_REPOSITORY');
  const location = given ?? join(dataDir, 'repository');
  try {
    parseStoreLocation(location);
  } catch (e) {
    const source = flags.repository !== undefined ? '--repository' : 'SAFEHOLD_REPOSITORY';
    throw new UserError(`invalid repository location (${source}): ${(e as Error).message}`, EXIT.usage);
  }
  return { dataDir, location, cacheDir: join(dataDir, 'cache') };
}

/** A passphrase file holds the passphrase; one trailing newline (as editors and `echo` add) is not part of it. */
function readPassphraseFile(path: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read the ${what} file ${path}: ${(e as NodeJS.ErrnoException).message}`);
  }
  const passphrase = text.replace(/\r?\n$/, '');
  if (passphrase === '') throw new UserError(`the ${what} file ${path} is empty`);
  return passphrase;
}

/**
 * The passphrase that unlocks the repository: --passphrase-file, SAFEHOLD_PASSPHRASE_FILE,
 * SAFEHOLD_PASSPHRASE, else asked on the terminal (twice when it is a new repository's).
 */
export async function repoPassphrase(
  flags: RepoFlags,
  purpose: 'open' | 'init',
  env: Env = process.env,
): Promise<string> {
  if (flags.passphraseFile) return readPassphraseFile(flags.passphraseFile, 'passphrase');
  const file = envValue(env, 'SAFEHOLD_PASSPHRASE_FILE');
  if (file) return readPassphraseFile(file, 'passphrase (SAFEHOLD_PASSPHRASE_FILE)');
  const value = envValue(env, 'SAFEHOLD_PASSPHRASE');
  if (value) return value;
  if (canPrompt()) {
    if (purpose === 'init') return promptNewPassphrase('Passphrase for the new repository');
    const answer = await promptHidden('Repository passphrase: ');
    if (answer === '') throw new UserError('no passphrase entered');
    return answer;
  }
  throw new UserError(
    'no passphrase: set SAFEHOLD_PASSPHRASE or SAFEHOLD_PASSPHRASE_FILE, or give --passphrase-file FILE',
  );
}

/** A passphrase to add (`key add`, `key passwd`): --new-passphrase-file, SAFEHOLD_NEW_PASSPHRASE or asked twice. */
export async function newPassphrase(
  flags: { newPassphraseFile?: string },
  env: Env = process.env,
): Promise<string> {
  if (flags.newPassphraseFile) return readPassphraseFile(flags.newPassphraseFile, 'new passphrase');
  const value = envValue(env, 'SAFEHOLD_NEW_PASSPHRASE');
  if (value) return value;
  if (canPrompt()) return promptNewPassphrase('New passphrase');
  throw new UserError(
    'no new passphrase: give --new-passphrase-file FILE or set SAFEHOLD_NEW_PASSPHRASE (or run in a terminal to be asked)',
  );
}

/**
 * Key-derivation cost for new key files. SAFEHOLD_SCRYPT_N is an advanced setting (tests, very
 * small machines): a lower N makes a stolen key file cheaper to attack. Unset: the library default.
 */
export function scryptParams(env: Env = process.env): ScryptParams | undefined {
  const raw = envValue(env, 'SAFEHOLD_SCRYPT_N');
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 2 || n > 2 ** 20 || (n & (n - 1)) !== 0)
    throw new UserError(`SAFEHOLD_SCRYPT_N=${raw}: expected a power of two from 2 to 1048576`, EXIT.usage);
  // r and p as in the library's default; only the cost factor is tunable.
  return { N: n, r: 8, p: 1 };
}

/** Library and store failures are the user's to act on (wrong passphrase, no repository, access denied…). */
export function asUserError(e: unknown): unknown {
  if (e instanceof RepositoryError || e instanceof BlobStoreError) return new UserError(e.message);
  return e;
}

export async function openRepoStore(settings: RepoSettings): Promise<BlobStore> {
  try {
    return await openStore(settings.location);
  } catch (e) {
    throw asUserError(e);
  }
}

/** Runs `work` with the repository open, and always closes it (cache and store). */
export async function withRepository<T>(
  flags: RepoFlags,
  work: (repo: Repository, settings: RepoSettings) => Promise<T>,
): Promise<T> {
  const settings = repoSettings(flags);
  const passphrase = await repoPassphrase(flags, 'open');
  const store = await openRepoStore(settings);
  try {
    const repo = await Repository.open(store, passphrase, { cacheDir: settings.cacheDir });
    try {
      return await work(repo, settings);
    } finally {
      repo.close();
    }
  } catch (e) {
    throw asUserError(e);
  } finally {
    await store.close();
  }
}
