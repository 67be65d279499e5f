import { spawn } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { FolderStore, Repository, type BlobStore, type ObjectRef } from '../../src/repository/index.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export type Env = Record<string, string | undefined>;

/** Variables the repository commands read; each test run states all of them (undefined = unset). */
const REPO_VARS = [
  'SAFEHOLD_DATA_DIR',
  'SAFEHOLD_REPOSITORY',
  'SAFEHOLD_PASSPHRASE',
  'SAFEHOLD_PASSPHRASE_FILE',
  'SAFEHOLD_NEW_PASSPHRASE',
  'SAFEHOLD_SCRYPT_N',
];

/** Small scrypt cost so that the many key derivations of these tests stay quick. */
export const TEST_SCRYPT_N = '1024';

/** Runs the CLI in this process (main() as bin/safehold.js calls it) with these variables; captures output. */
export async function runCli(args: string[], env: Env): Promise<CliResult> {
  const saved = new Map<string, string | undefined>();
  for (const name of new Set([...REPO_VARS, ...Object.keys(env)])) {
    saved.set(name, process.env[name]);
    const value = env[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  let stdout = '';
  let stderr = '';
  const outSpy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += chunk.toString();
    return true;
  });
  const errSpy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  });
  try {
    const code = await main(['node', 'safehold', ...args]);
    return { code, stdout, stderr };
  } finally {
    outSpy.mockRestore();
    errSpy.mockRestore();
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/** The environment of a child CLI: this process's, without its repository settings, plus `env`. */
export function childEnv(env: Env): NodeJS.ProcessEnv {
  const out: Env = { ...process.env };
  for (const name of REPO_VARS) delete out[name];
  return { ...out, ...env };
}

/** Runs the CLI from source in a child process (stdin closed: no terminal to ask a passphrase on). */
export function runChild(args: string[], env: Env): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Parses stdout as exactly one JSON document. */
export function json<T = Record<string, unknown>>(r: CliResult): T {
  const lines = r.stdout.trim().split('\n');
  if (lines.length !== 1) throw new Error(`expected one JSON line on stdout, got:\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(lines[0] as string) as T;
}

/** Every file under a folder with its size and mtime: a fingerprint to see that nothing changed. */
export async function snapshot(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else {
        const s = await stat(p);
        out.push(`${p.slice(root.length)} ${s.size} ${s.mtimeMs}`);
      }
    }
  };
  await walk(root);
  return out.sort();
}

export async function filesUnder(root: string): Promise<string[]> {
  return (await snapshot(root)).map((line) => join(root, line.split(' ')[0] as string));
}

export interface Backup {
  manifest: string;
  /** record id → the object it references */
  records: Map<string, ObjectRef>;
}

/**
 * Stores objects and a manifest whose records reference them (what a backup run does), through
 * the library, as the backup engine will. `unreferenced` objects are stored without any record.
 */
export async function writeBackup(
  store: BlobStore,
  passphrase: string,
  cacheDir: string,
  objects: Record<string, Buffer>,
  unreferenced: Buffer[] = [],
): Promise<Backup> {
  const repo = await Repository.open(store, passphrase, { cacheDir });
  try {
    const session = await repo.session();
    const records = new Map<string, ObjectRef>();
    for (const [id, data] of Object.entries(objects)) records.set(id, await session.putBuffer(data));
    for (const data of unreferenced) await session.putBuffer(data);
    const manifest = await session.writeManifest('test.cli.v1', { run: 'cli-test' }, [
      ...[...records].map(([id, ref]) => ({ id, refs: [ref] })),
    ]);
    await session.close();
    return { manifest, records };
  } finally {
    repo.close();
  }
}

/** Whether an object still reads back intact through the library (an oracle independent of check). */
export async function readsBack(
  store: BlobStore,
  passphrase: string,
  cacheDir: string,
  ref: ObjectRef,
  expected: Buffer,
): Promise<boolean> {
  const repo = await Repository.open(store, passphrase, { cacheDir });
  try {
    const parts: Buffer[] = [];
    for await (const c of repo.readObject(ref)) parts.push(c as Buffer);
    return Buffer.concat(parts).equals(expected);
  } catch {
    return false;
  } finally {
    repo.close();
  }
}

export const folderStore = (path: string): FolderStore => new FolderStore(path, { fsync: false });
