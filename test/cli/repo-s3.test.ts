import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type CheckReport, type RepositoryStats } from '../../src/repository/index.js';
import { startMoto, type MotoServer } from '../support/moto.js';
import { json, runCli, TEST_SCRYPT_N, writeBackup, type Env } from './repo-support.js';

const PW = 's3 passphrase';
let moto: MotoServer;
let dir: string;

beforeAll(async () => {
  moto = await startMoto();
  dir = await mkdtemp(join(tmpdir(), 'safehold-repo-s3-'));
});
afterAll(async () => {
  await moto?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('safehold repo on S3 (moto)', () => {
  it('inits, describes, checks (finding a corrupted pack) and prunes a repository in a bucket', async () => {
    const bucket = await moto.createBucket();
    const location = `s3://${bucket}/backups/site1?endpoint=${encodeURIComponent(moto.endpoint)}`;
    // Credentials and region come the usual AWS ways, never in the location.
    const env: Env = {
      SAFEHOLD_DATA_DIR: dir,
      SAFEHOLD_REPOSITORY: location,
      SAFEHOLD_PASSPHRASE: PW,
      SAFEHOLD_SCRYPT_N: TEST_SCRYPT_N,
      AWS_ACCESS_KEY_ID: moto.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: moto.credentials.secretAccessKey,
      AWS_REGION: moto.region,
    };

    const init = await runCli(['repo', 'init', '--json'], env);
    expect(init.code, init.stdout + init.stderr).toBe(0);
    const { id } = json<{ id: string }>(init);
    const again = await runCli(['repo', 'init'], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already holds a repository/);

    const s3 = moto.client();
    try {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'backups/site1/' }));
      expect(listed.Contents?.map((o) => o.Key)).toContain('backups/site1/config');

      const info = json<{ id: string; location: string }>(await runCli(['repo', 'info', '--json'], env));
      expect(info.id).toBe(id);
      expect(info.location).toMatch(new RegExp(`^s3://${bucket}/backups/site1`));

      const store = await openStore(location, { credentials: moto.credentials });
      const A = randomBytes(6000);
      const B = randomBytes(9000);
      try {
        await writeBackup(store, PW, join(dir, 'lib-cache'), { 'site/a.docx': A, 'site/b.xlsx': B }, [
          randomBytes(2000),
        ]);
      } finally {
        await store.close();
      }

      const stats = json<RepositoryStats>(await runCli(['repo', 'stats', '--json'], env));
      expect(stats).toMatchObject({ id, manifests: 1, blobs: 4, packs: 1 });
      const clean = await runCli(['repo', 'check', '--read-data', '--json'], env);
      expect(clean.code, clean.stdout).toBe(0);
      expect(json<CheckReport>(clean).stats).toMatchObject({ packsRead: 1, blobsRead: 4, records: 2 });
      const dry = await runCli(['repo', 'prune', '--dry-run', '--json'], env);
      // The unreferenced blob is younger than the safety window: prune leaves it for a later run.
      expect(json(dry)).toMatchObject({ dryRun: true, liveBlobs: 3, newTombstones: 0, deletedPacks: 0 });

      // Corrupt the pack behind the store's back: every byte after the first blob's nonce is ciphertext.
      const packs = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: 'backups/site1/data/' }),
      );
      const key = packs.Contents?.[0]?.Key as string;
      const body = Buffer.from(
        await (
          await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
        ).Body!.transformToByteArray(),
      );
      body[30] = (body[30] as number) ^ 0x01;
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));

      const damaged = await runCli(['repo', 'check', '--read-data', '--json'], env);
      expect(damaged.code).toBe(1);
      const report = json<CheckReport>(damaged);
      expect(report.problems.map((p) => [p.kind, p.file])).toEqual([
        ['corrupt-blob', key.slice('backups/site1/'.length)],
      ]);
      expect(report.affected).toHaveLength(1);
      expect(report.affected[0]?.records).toHaveLength(1);

      const wrong = await runCli(['repo', 'info'], { ...env, SAFEHOLD_PASSPHRASE: 'not it' });
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(/^safehold: wrong passphrase/);
    } finally {
      s3.destroy();
    }
  });

  it('reports a missing bucket as a one-line error (exit 1)', async () => {
    const env: Env = {
      SAFEHOLD_DATA_DIR: dir,
      SAFEHOLD_PASSPHRASE: PW,
      AWS_ACCESS_KEY_ID: moto.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: moto.credentials.secretAccessKey,
      AWS_REGION: moto.region,
    };
    const r = await runCli(
      ['repo', 'info', '--repository', `s3://no-such-bucket-x?endpoint=${moto.endpoint}`],
      env,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^safehold: s3:\/\/no-such-bucket-x[^\n]*\n$/);
    expect(r.stderr).not.toMatch(/unexpected error/);
  });
});
