import { HeadObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll } from 'vitest';
import { S3Store } from '../../../src/repository/store/s3.js';
import type { S3StoreOptions } from '../../../src/repository/store/index.js';
import { startMoto, type MotoOptions, type MotoServer } from '../../support/moto.js';

/** A moto_server for one test file, a bucket in it, and stores under fresh prefixes. */
export interface MotoBucket {
  readonly moto: MotoServer;
  readonly bucket: string;
  /** A fresh key prefix, unique in the bucket. */
  uniquePrefix(label?: string): string;
  /** An S3Store on the bucket under a fresh prefix (options override). */
  s3Store(extra?: Partial<S3StoreOptions>): S3Store;
  /** Multipart uploads started under `prefix` and neither completed nor aborted. */
  pendingUploads(prefix: string): Promise<number>;
  /** The ETag of a key (multipart ETags end in `-<parts>`). */
  etagOf(key: string): Promise<string>;
}

/** Starts moto_server before the file's tests (failing with the install command if it is missing). */
export function useMotoBucket(options: MotoOptions = {}): MotoBucket {
  let moto: MotoServer | undefined;
  let bucket: string | undefined;
  let counter = 0;

  beforeAll(async () => {
    moto = await startMoto(options);
    bucket = await moto.createBucket();
  }, 60_000);

  afterAll(async () => {
    await moto?.stop();
  });

  const running = (): { moto: MotoServer; bucket: string } => {
    if (moto === undefined || bucket === undefined) throw new Error('moto_server is not running');
    return { moto, bucket };
  };

  async function withClient<T>(use: (client: ReturnType<MotoServer['client']>) => Promise<T>): Promise<T> {
    const client = running().moto.client();
    try {
      return await use(client);
    } finally {
      client.destroy();
    }
  }

  const uniquePrefix = (label = 't'): string => `${label}${++counter}-${process.pid}`;

  return {
    get moto() {
      return running().moto;
    },
    get bucket() {
      return running().bucket;
    },
    uniquePrefix,
    s3Store(extra = {}) {
      const server = running();
      return new S3Store({
        bucket: server.bucket,
        prefix: uniquePrefix(),
        endpoint: server.moto.endpoint,
        region: server.moto.region,
        forcePathStyle: true,
        credentials: server.moto.credentials,
        ...extra,
      });
    },
    pendingUploads: (prefix) =>
      withClient(async (client) => {
        const answer = await client.send(
          new ListMultipartUploadsCommand({ Bucket: running().bucket, Prefix: prefix }),
        );
        return answer.Uploads?.length ?? 0;
      }),
    etagOf: (key) =>
      withClient(
        async (client) =>
          (await client.send(new HeadObjectCommand({ Bucket: running().bucket, Key: key }))).ETag ?? '',
      ),
  };
}
