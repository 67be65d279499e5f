import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

/**
 * `moto_server` (Python moto's stand-alone S3 and friends) started by a test on a free port, for the
 * S3 store's conformance and fault tests. A machine without it fails the test with the install
 * command; it is never skipped.
 */

export const MOTO_INSTALL = "pip install 'moto[server]'";

export interface MotoServer {
  /** `http://127.0.0.1:<port>` (https with `tls`). */
  endpoint: string;
  port: number;
  region: string;
  /** Moto accepts any credentials; these are what the helpers use. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** A plain SDK client for the server (path style, SDK retries on), for checks behind a store's back. */
  client(): S3Client;
  /** Creates a bucket (a fresh unique name when none is given) and returns its name. */
  createBucket(name?: string): Promise<string>;
  /** Stops the server (and waits for it to exit). */
  stop(): Promise<void>;
}

export interface MotoOptions {
  /** Serve HTTPS with this certificate and key (PEM). */
  tls?: { certPem: string; keyPem: string; caPem?: string };
  /** Keys per ListObjects page (default 1000, as S3), smaller to exercise pagination cheaply. */
  listPageSize?: number;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function missing(detail: string): Error {
  return new Error(`moto_server is needed for the S3 store tests (${detail}); install it: ${MOTO_INSTALL}`);
}

let bucketCounter = 0;

async function startOnce(
  port: number,
  options: MotoOptions,
  tlsDir: string | undefined,
): Promise<MotoServer> {
  const args = ['-H', '127.0.0.1', '-p', String(port)];
  if (options.tls !== undefined && tlsDir !== undefined) {
    const cert = join(tlsDir, 'cert.pem');
    const key = join(tlsDir, 'key.pem');
    await writeFile(cert, options.tls.certPem + (options.tls.caPem ?? ''));
    await writeFile(key, options.tls.keyPem, { mode: 0o600 });
    args.push('-c', cert, '-k', key);
  }
  const child: ChildProcess = spawn('moto_server', args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so stop() ends the server and nothing else.
    detached: true,
    env: {
      ...process.env,
      PYTHONUNBUFFERED: '1',
      ...(options.listPageSize === undefined
        ? {}
        : { MOTO_S3_DEFAULT_MAX_KEYS: String(options.listPageSize) }),
    },
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
    child.once('error', (error) => {
      spawnError = error;
      resolve();
    });
  });
  const killOnExit = (): void => {
    if (child.pid !== undefined && exited === undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  process.once('exit', killOnExit);

  const scheme = options.tls === undefined ? 'http' : 'https';
  const endpoint = `${scheme}://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    if (child.pid === undefined || exited !== undefined || spawnError !== undefined) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      if (child.pid !== undefined && exited === undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }, 5000);
    await exit;
    clearTimeout(timer);
  };

  // Wait until it answers (a plain GET / lists buckets).
  const deadline = Date.now() + 30_000;
  const { Agent, request } = await import('undici');
  const dispatcher =
    options.tls === undefined
      ? undefined
      : new Agent({ connect: { ca: options.tls.caPem ?? options.tls.certPem, rejectUnauthorized: true } });
  while (true) {
    if (spawnError !== undefined) {
      const code = (spawnError as NodeJS.ErrnoException).code;
      throw code === 'ENOENT' ? missing('not found on PATH') : spawnError;
    }
    if (exited !== undefined) {
      const text = output.trim();
      if (/address already in use/i.test(text))
        throw Object.assign(new Error('port taken'), { retryPort: true });
      if (/No module named|command not found|ModuleNotFoundError/i.test(text))
        throw missing(text.split('\n').pop() ?? text);
      throw new Error(`moto_server exited (${exited.code ?? exited.signal}) before answering:\n${text}`);
    }
    try {
      const answer = await request(`${endpoint}/`, { ...(dispatcher === undefined ? {} : { dispatcher }) });
      await answer.body.dump();
      if (answer.statusCode === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`moto_server did not answer on ${endpoint} within 30 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await dispatcher?.close();

  const region = 'us-east-1';
  const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
  const client = (): S3Client => new S3Client({ endpoint, region, credentials, forcePathStyle: true });
  return {
    endpoint,
    port,
    region,
    credentials,
    client,
    async createBucket(name?: string): Promise<string> {
      const bucket = name ?? `safehold-test-${process.pid}-${++bucketCounter}`;
      const s3 = client();
      try {
        await s3.send(new CreateBucketCommand({ Bucket: bucket }));
      } finally {
        s3.destroy();
      }
      return bucket;
    },
    stop,
  };
}

/** Starts moto_server on a free port and waits until it answers. */
export async function startMoto(options: MotoOptions = {}): Promise<MotoServer> {
  const tlsDir = options.tls === undefined ? undefined : await mkdtemp(join(tmpdir(), 'safehold-moto-tls-'));
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        return await startOnce(await freePort(), options, tlsDir);
      } catch (error) {
        if (attempt < 5 && typeof error === 'object' && error !== null && 'retryPort' in error) continue;
        throw error;
      }
    }
  } finally {
    if (tlsDir !== undefined) {
      // moto has read the files by the time it answers.
      await rm(tlsDir, { recursive: true, force: true });
    }
  }
}
