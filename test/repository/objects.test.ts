import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Random } from '../../emulator/generator/random.js';
import { TextGenerator } from '../../emulator/generator/text.js';
import { chunkBuffer } from '../../src/repository/content/index.js';
import {
  BLOB_DATA,
  BLOB_TREE,
  IntegrityError,
  MissingBlobError,
  repositoryStats,
  type ObjectRef,
  type Repository,
} from '../../src/repository/index.js';
import {
  listNames,
  makeRepo,
  MEDIUM_CHUNKER,
  pseudoRandom,
  readAll,
  sha256,
  SMALL_CHUNKER,
} from './support/repo.js';

async function store(repo: Repository, data: Buffer): Promise<ObjectRef> {
  const session = await repo.session();
  const ref = await session.putBuffer(data);
  await session.close();
  return ref;
}

const read = (repo: Repository, ref: ObjectRef, start?: number, end?: number) =>
  readAll(repo.readObject(ref, start, end));

/** Offsets where the chunker cuts `data` (the object's blob boundaries), with 0 and the size. */
function boundaries(data: Buffer, params = SMALL_CHUNKER): number[] {
  const out = [0];
  for (const c of chunkBuffer(data, params)) out.push((out.at(-1) as number) + c.length);
  return out;
}

describe('objects', () => {
  it('stores the empty object as {s: 0} and reads it back empty', async () => {
    const { repo } = await makeRepo();
    const ref = await store(repo, Buffer.alloc(0));
    expect(ref).toEqual({ s: 0 });
    expect(await read(repo, ref)).toEqual(Buffer.alloc(0));
    expect(await read(repo, ref, 0, 0)).toEqual(Buffer.alloc(0));
    expect(await read(repo, ref, 0, 10)).toEqual(Buffer.alloc(0));
    expect(() => repo.readObject(ref, 1)).toThrow(RangeError);
    expect(await listNames(repo.store, 'data/')).toEqual([]);
  });

  it('stores a small object as one inline blob', async () => {
    const { repo, reopen } = await makeRepo();
    const data = Buffer.from('hello, repository');
    const ref = await store(repo, data);
    expect(ref).toEqual({ s: data.length, c: [expect.stringMatching(/^[0-9a-f]{64}$/)] });
    expect(await read(await reopen(), ref)).toEqual(data);
  });

  it('stores a multi-chunk object inline and reads every range of it back', async () => {
    const { repo } = await makeRepo({ chunker: SMALL_CHUNKER });
    const data = pseudoRandom('multi', 40_000);
    const ref = await store(repo, data);
    const cuts = boundaries(data);
    expect('c' in ref && ref.c.length).toBe(cuts.length - 1);
    expect(cuts.length - 1).toBeGreaterThan(50);
    expect(await read(repo, ref)).toEqual(data);
    const b1 = cuts[1] as number;
    const b5 = cuts[5] as number;
    const ranges: [number, number][] = [
      [0, 0],
      [0, 1],
      [0, b1],
      [b1, b5],
      [b1 - 1, b1 + 1],
      [b5, data.length],
      [1234, 33_333],
      [data.length - 1, data.length],
      [data.length, data.length],
    ];
    for (const [start, end] of ranges)
      expect((await read(repo, ref, start, end)).equals(data.subarray(start, end))).toBe(true);
  });

  it('keeps the range contract: end cut to the size, bad ranges refused at once', async () => {
    const { repo } = await makeRepo();
    const data = pseudoRandom('range contract', 5000);
    const ref = await store(repo, data);
    expect(await read(repo, ref, 4000, 1_000_000)).toEqual(data.subarray(4000));
    expect(await read(repo, ref, 5000)).toEqual(Buffer.alloc(0));
    expect(() => repo.readObject(ref, 5001)).toThrow(/beyond the end of the object \(5000 bytes\)/);
    expect(() => repo.readObject(ref, -1)).toThrow(/negative/);
    expect(() => repo.readObject(ref, 10, 5)).toThrow(/before the start/);
    expect(() => repo.readObject(ref, 0.5)).toThrow(/integers/);
  });

  it('puts more than 512 chunk ids in a tree blob, and reads whole and ranges across it', async () => {
    const { repo, reopen } = await makeRepo({ chunker: SMALL_CHUNKER, packTarget: 64 * 1024 });
    const data = pseudoRandom('tree', 300_000);
    const ref = await store(repo, data);
    const cuts = boundaries(data);
    expect(cuts.length - 1).toBeGreaterThan(512);
    expect(ref).toEqual({ s: data.length, i: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const other = await reopen();
    expect((await read(other, ref)).equals(data)).toBe(true);
    const kinds = { [BLOB_DATA]: 0, [BLOB_TREE]: 0 };
    for await (const b of other.reader.blobIds(ref)) kinds[b.type]++;
    expect(kinds).toEqual({ [BLOB_DATA]: cuts.length - 1, [BLOB_TREE]: 1 });
    const mid = cuts[600] as number;
    for (const [start, end] of [
      [0, 1],
      [mid, mid + 1],
      [mid - 10, mid + 3000],
      [150_000, data.length],
      [data.length - 5, data.length + 5],
    ] as [number, number][])
      expect((await read(other, ref, start, end)).equals(data.subarray(start, end))).toBe(true);
  });

  it('nests trees once an object has more than 65,536 chunks', async () => {
    // A 9 KiB random block repeated: ~80,000 tiny chunks but few distinct blobs, so it stays quick.
    const tiny = { minSize: 16, avgSize: 32, maxSize: 64, normalization: 2 };
    const { repo } = await makeRepo({ chunker: tiny, packTarget: 1 << 20 });
    const block = pseudoRandom('nested block', 9001);
    const data = Buffer.concat(Array.from({ length: 340 }, () => block));
    const ref = await store(repo, data);
    const cuts = boundaries(data, tiny);
    expect(cuts.length - 1).toBeGreaterThan(65_536);
    expect(ref).toMatchObject({ s: data.length, d: 2 });
    let trees = 0;
    for await (const b of repo.reader.blobIds(ref)) if (b.type === BLOB_TREE) trees++;
    expect(trees).toBe(3); // the root and two leaves
    const edge = cuts[65_536] as number; // the first byte under the second leaf tree
    for (const [start, end] of [
      [0, 100],
      [edge - 50, edge + 50],
      [data.length - 100, data.length],
    ] as [number, number][])
      expect((await read(repo, ref, start, end)).equals(data.subarray(start, end))).toBe(true);
  });

  it('stores the same data once (deduplication across sessions and within one)', async () => {
    const { repo } = await makeRepo({ chunker: MEDIUM_CHUNKER, packTarget: 256 * 1024 });
    const data = pseudoRandom('dedup', 1_000_000);
    const first = await repo.session();
    const a = await first.putBuffer(data);
    const b = await first.putBuffer(data);
    await first.close();
    const chunks = (a as { c: string[] }).c.length;
    expect(first.stats).toMatchObject({ newBlobs: chunks, dedupedBlobs: chunks });
    const before = await repositoryStats(repo);
    const second = await repo.session();
    const c = await second.putBuffer(data);
    await second.close();
    expect(second.stats).toMatchObject({ newBlobs: 0, dedupedBlobs: chunks, packs: 0 });
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    const after = await repositoryStats(repo);
    expect(after.packBytes).toBe(before.packBytes);
    expect(after.blobs).toBe(chunks);
    expect(after.rawBytes).toBe(data.length);
  });

  it('stores a Readable of unknown length', async () => {
    const { repo } = await makeRepo({ chunker: MEDIUM_CHUNKER });
    const data = pseudoRandom('readable', 700_000);
    const source = Readable.from(
      (async function* () {
        for (let at = 0; at < data.length; at += 7777) {
          await new Promise((resolve) => setImmediate(resolve));
          yield data.subarray(at, at + 7777);
        }
      })(),
    );
    const session = await repo.session();
    const ref = await session.putStream(source);
    await session.close();
    expect(ref.s).toBe(data.length);
    expect((await read(repo, ref)).equals(data)).toBe(true);
  });

  it('keeps a data blob and a tree blob with the same plaintext apart', async () => {
    const { repo } = await makeRepo({ chunker: SMALL_CHUNKER });
    const data = pseudoRandom('types', 300_000);
    const ref = (await store(repo, data)) as { s: number; i: string };
    const treeId = Buffer.from(ref.i, 'hex');
    const treePlaintext = await repo.reader.readBlob(treeId, BLOB_TREE);
    const session = await repo.session();
    const id = await session.putBlob(BLOB_DATA, treePlaintext);
    await session.close();
    expect(id).toEqual(treeId);
    expect(session.stats.newBlobs).toBe(1);
    expect(await repo.reader.readBlob(id, BLOB_DATA)).toEqual(treePlaintext);
    expect((await read(repo, ref)).equals(data)).toBe(true);
  });

  it('verifies the size a reference states, and names a blob that is not stored', async () => {
    const { repo } = await makeRepo({ chunker: MEDIUM_CHUNKER });
    const data = pseudoRandom('sizes', 100_000);
    const ref = (await store(repo, data)) as { s: number; c: string[] };
    await expect(read(repo, { ...ref, s: ref.s + 1 })).rejects.toThrow(IntegrityError);
    await expect(read(repo, { ...ref, s: ref.s - 1 })).rejects.toThrow(/its blobs hold/);
    const ghost = 'ab'.repeat(32);
    const error = await read(repo, { s: 10, c: [ghost] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingBlobError);
    expect((error as MissingBlobError).blobId).toBe(ghost);
  });

  it('reads a blob stored twice from its second pack when the first is gone', async () => {
    const { repo, store: blobStore } = await makeRepo({ chunker: MEDIUM_CHUNKER });
    const data = pseudoRandom('twice', 50_000);
    // Two sessions store the same data before either has indexed it: two copies.
    const [a, b] = [await repo.session(), await repo.session()];
    const [ra, rb] = [await a.putBuffer(data), await b.putBuffer(data)];
    await Promise.all([a.close(), b.close()]);
    expect(ra).toEqual(rb);
    const packs = await listNames(blobStore, 'data/');
    expect(packs).toHaveLength(2);
    await blobStore.delete(packs[0] as string);
    expect((await read(repo, ra)).equals(data)).toBe(true);
    await blobStore.delete(packs[1] as string);
    await expect(read(repo, ra)).rejects.toThrow(/does not exist/);
  });
});

/** Base64 of `data` wrapped every `width` characters, as a mail client writes it. */
function wrapped(data: Buffer, width: number, eol: string, finalEol: boolean): string {
  const text = data.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += width) lines.push(text.slice(i, i + width));
  return lines.join(eol) + (finalEol ? eol : '');
}

describe('MIME-structured objects', () => {
  it('stores a 5 MiB attachment in 100 different messages once, each message byte-exact', async () => {
    const { repo, reopen } = await makeRepo();
    const attachment = pseudoRandom('attachment', 5 * 1024 * 1024);
    // As mail carries it: base64, 76 columns, CRLF. Encoded once; the messages around it differ.
    const encoded = Buffer.from(wrapped(attachment, 76, '\r\n', true));
    const random = new Random('single-instancing');
    const text = new TextGenerator(random);
    const message = (n: number): Buffer => {
      const to = Array.from({ length: random.int(1, 20) }, (_, i) => `r${n}-${i}@contoso.example`);
      const head =
        `From: ${text.title(2)} <sender${n}@contoso.example>\r\nTo: ${to.join(',\r\n ')}\r\n` +
        `Subject: ${n}: ${text.sentence()}\r\nDate: ${new Date(Date.UTC(2024, 0, 1 + (n % 28))).toUTCString()}\r\n` +
        `Message-ID: <msg-${n}-${random.guid()}@contoso.example>\r\nMIME-Version: 1.0\r\n` +
        `Content-Type: multipart/mixed; boundary="b${n}"\r\n\r\n--b${n}\r\n` +
        `Content-Type: text/plain; charset=utf-8\r\n\r\n${text.paragraphs(random.int(1, 3)).join('\r\n\r\n')}\r\n` +
        `--b${n}\r\nContent-Type: application/pdf; name="quarterly.pdf"\r\n` +
        `Content-Disposition: attachment; filename="quarterly.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n`;
      return Buffer.concat([Buffer.from(head), encoded, Buffer.from(`--b${n}--\r\n`)]);
    };
    const written: { ref: ObjectRef; hash: string }[] = [];
    for (let batch = 0; batch < 4; batch++) {
      const session = await repo.session();
      const refs: ObjectRef[] = [];
      for (let n = batch * 25; n < (batch + 1) * 25; n++) {
        const mime = message(n);
        const ref = await session.putMime(mime);
        expect(ref).toMatchObject({ s: mime.length, m: expect.any(Array) });
        refs.push(ref);
        written.push({ ref, hash: sha256(mime) });
      }
      await session.writeManifest(
        'test.mail.v1',
        { batch },
        refs.map((ref) => ({ refs: [ref] })),
      );
      await session.close();
    }
    expect(new Set(written.map((w) => w.hash)).size).toBe(100);
    const packed = (await repositoryStats(repo)).packBytes;
    expect(packed).toBeLessThanOrEqual(1.1 * attachment.length);
    const other = await reopen();
    for (const { ref, hash } of written) expect(sha256(await read(other, ref))).toBe(hash);
  });

  it('reads any range of a MIME object byte-exact, whatever the line width and ending', async () => {
    const { repo } = await makeRepo({ chunker: SMALL_CHUNKER });
    const parts = [
      [pseudoRandom('a', 9000), 76, '\r\n', true],
      [pseudoRandom('b', 8191), 64, '\n', false],
      [pseudoRandom('c', 7001), 73, '\r\n', true],
    ] as const;
    let message = 'From: a@contoso.example\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n';
    for (const [data, width, eol, finalEol] of parts)
      message += `--XX\r\nContent-Transfer-Encoding: base64\r\n\r\n${wrapped(data, width, eol, finalEol)}\r\n`;
    message += '--XX--\r\n';
    const mime = Buffer.from(message);
    const session = await repo.session();
    const ref = await session.putMime(mime);
    await session.close();
    expect('m' in ref && ref.m.filter((s) => 'b' in s).map((s) => 'b' in s && s.w)).toEqual([76, 64, 73]);
    expect((await read(repo, ref)).equals(mime)).toBe(true);
    const random = new Random('mime ranges');
    for (let k = 0; k < 300; k++) {
      const start = random.int(0, mime.length);
      const end = Math.min(mime.length, start + random.int(0, k % 3 === 0 ? 200 : 20_000));
      const got = await read(repo, ref, start, end);
      if (!got.equals(mime.subarray(start, end))) throw new Error(`range ${start}-${end} differs`);
    }
  });
});
