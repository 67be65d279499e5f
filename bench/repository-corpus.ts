import {
  mkdirSync,
  openSync,
  readSync,
  writeSync,
  closeSync,
  rmSync,
  writeFileSync,
  statSync,
} from 'node:fs';
import path from 'node:path';
import { fillLowEntropy, fillText, KeyStream, Prng, randomBytesOf, textOf } from './repository-bytes.js';

/**
 * A generated backup corpus, written to disk as files so Safehold and restic read the same bytes:
 * mail-like MIME messages (`mail/*.eml`: headers, plain and HTML bodies, base64 attachments, some
 * attachments shared between messages) and large files (`files/*.bin`: runs of random,
 * text-like and low-entropy bytes). Everything is deterministic from the seed. `mutateCorpus`
 * makes the second pass: 10% of messages changed or new, scattered edits in every large file.
 */

const MiB = 1024 * 1024;

export interface CorpusScale {
  messages: number;
  /** Large file sizes in MiB. */
  filesMiB: number[];
}

export const SCALES: Record<string, CorpusScale> = {
  tiny: { messages: 200, filesMiB: [8, 16] },
  small: { messages: 2000, filesMiB: [64, 96] },
  medium: { messages: 8000, filesMiB: [64, 128, 256, 512] },
  large: { messages: 20000, filesMiB: [256, 512, 512, 1024] },
};

export function scaleOf(name: string | undefined): { name: string; scale: CorpusScale } {
  const n = name ?? 'medium';
  const scale = SCALES[n];
  if (!scale) throw new Error(`unknown --scale '${n}'; known: ${Object.keys(SCALES).join(', ')}`);
  return { name: n, scale };
}

// ---------------------------------------------------------------------------------------------
// Messages

const DOMAINS = ['contoso.example', 'fabrikam.example', 'northwind.example', 'adatum.example'];
const TYPES = [
  ['application/pdf', 'pdf', 'random'],
  ['image/jpeg', 'jpg', 'random'],
  ['application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'docx', 'random'],
  ['text/csv', 'csv', 'text'],
  ['text/plain', 'txt', 'text'],
  ['application/octet-stream', 'log', 'lowentropy'],
] as const;

interface AttachmentSpec {
  id: string;
  size: number;
  type: (typeof TYPES)[number];
}

/** Attachments shared between messages (same decoded bytes in many messages). */
function sharedPool(messages: number, seed: string): AttachmentSpec[] {
  const rng = new Prng(`${seed}/pool`);
  const n = Math.max(4, Math.floor(messages / 25));
  return Array.from({ length: n }, (_, i) => ({
    id: `shared-${i}`,
    size: rng.logUniform(8 * 1024, 400 * 1024),
    type: rng.pick(TYPES),
  }));
}

function attachmentBytes(spec: AttachmentSpec, seed: string): Buffer {
  const label = `${seed}/attachment/${spec.id}`;
  if (spec.type[2] === 'random') return randomBytesOf(label, spec.size);
  const b = Buffer.alloc(spec.size);
  if (spec.type[2] === 'text') fillText(b, new Prng(label));
  else fillLowEntropy(b, new KeyStream(label), 0, b.length);
  return b;
}

export function wrapBase64(data: Buffer, width = 76, eol = '\r\n'): string {
  const s = data.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < s.length; i += width) lines.push(s.slice(i, i + width));
  return lines.join(eol);
}

function address(rng: Prng): string {
  return `user${rng.int(0, 5000)}@${rng.pick(DOMAINS)}`;
}

/** Message headers as Exchange Online exports them, give or take (2–5 KB). */
export function messageHeaders(rng: Prng, index: number, version: number, contentType: string): string {
  const hex = (n: number) => randomBytesOf(`hdr/${index}/${version}/${n}`, 16).toString('hex');
  const date = new Date(Date.UTC(2025, 0, 1) + index * 3_600_000).toUTCString();
  const received = Array.from(
    { length: rng.int(2, 6) },
    (_, k) =>
      `Received: from mail${k}.${rng.pick(DOMAINS)} (10.${rng.int(0, 255)}.${rng.int(0, 255)}.${k}) by ` +
      `mx.contoso.example with ESMTPS id ${hex(k)};\r\n ${date}`,
  );
  const to = Array.from({ length: rng.int(1, 7) }, () => address(rng)).join(',\r\n ');
  const dkim = wrapBase64(randomBytesOf(`dkim/${index}/${version}`, 256), 70, '\r\n\t');
  return [
    ...received,
    `DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=${rng.pick(DOMAINS)}; s=selector1;\r\n\tb=${dkim}`,
    `From: ${address(rng)}`,
    `To: ${to}`,
    `Subject: ${textOf(rng, rng.int(20, 80)).toString().replace(/\s+/g, ' ')}`,
    `Date: ${date}`,
    `Message-ID: <${hex(99)}@${rng.pick(DOMAINS)}>`,
    ...(version > 0 ? [`Keywords: follow-up-${version}`, `X-Safehold-Bench-Revision: ${version}`] : []),
    'MIME-Version: 1.0',
    `Content-Type: ${contentType}`,
    '',
    '',
  ].join('\r\n');
}

/**
 * Message `index` at `version` (0 = as first backed up; higher = changed later: new headers, same
 * body and attachments). About 40% carry 1–3 base64 attachments, a third of them shared.
 */
export function renderMessage(index: number, version: number, seed: string, pool: AttachmentSpec[]): Buffer {
  const rng = new Prng(`${seed}/message/${index}`);
  const text = textOf(rng, rng.logUniform(800, 40_000)).toString('latin1');
  const html = `<html><body><p>${text.replace(/\r\n\r\n/g, '</p><p>')}</p></body></html>`;
  const attachments: AttachmentSpec[] = [];
  if (rng.next() < 0.4) {
    for (let k = rng.int(1, 4); k > 0; k--) {
      attachments.push(
        rng.next() < 0.35
          ? rng.pick(pool)
          : { id: `m${index}-${k}`, size: rng.logUniform(5 * 1024, 300 * 1024), type: rng.pick(TYPES) },
      );
    }
  }
  const alt = `alt_${index}_${version}`;
  const body = [
    `--${alt}\r\nContent-Type: text/plain; charset="utf-8"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${text}\r\n`,
    `--${alt}\r\nContent-Type: text/html; charset="utf-8"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${html}\r\n`,
    `--${alt}--\r\n`,
  ].join('');
  const hdrRng = new Prng(`${seed}/headers/${index}/${version}`);
  if (attachments.length === 0)
    return Buffer.from(
      messageHeaders(hdrRng, index, version, `multipart/alternative; boundary="${alt}"`) + body,
      'latin1',
    );
  const mixed = `mixed_${index}_${version}`;
  const parts = [`--${mixed}\r\nContent-Type: multipart/alternative; boundary="${alt}"\r\n\r\n${body}`];
  for (const a of attachments) {
    const name = `${a.id}.${a.type[1]}`;
    parts.push(
      `--${mixed}\r\nContent-Type: ${a.type[0]}; name="${name}"\r\n` +
        `Content-Disposition: attachment; filename="${name}"\r\nContent-Transfer-Encoding: base64\r\n\r\n` +
        `${wrapBase64(attachmentBytes(a, seed))}\r\n`,
    );
  }
  parts.push(`--${mixed}--\r\n`);
  return Buffer.from(
    messageHeaders(hdrRng, index, version, `multipart/mixed; boundary="${mixed}"`) + parts.join(''),
    'latin1',
  );
}

// ---------------------------------------------------------------------------------------------
// Large files

/** Writes a large file in 4 MiB steps: runs of 1–8 MiB, random (40%), prose (30%), low-entropy (30%). */
function writeLargeFile(file: string, bytes: number, label: string): void {
  const rng = new Prng(label);
  const ks = new KeyStream(label);
  const fd = openSync(file, 'w');
  const buf = Buffer.alloc(4 * MiB);
  let kind = 0;
  let runLeft = 0;
  try {
    for (let written = 0; written < bytes;) {
      const n = Math.min(buf.length, bytes - written);
      for (let pos = 0; pos < n;) {
        if (runLeft === 0) {
          const r = rng.next();
          kind = r < 0.4 ? 0 : r < 0.7 ? 1 : 2;
          runLeft = rng.int(MiB, 8 * MiB);
        }
        const take = Math.min(runLeft, n - pos);
        if (kind === 0) ks.next(take).copy(buf, pos);
        else if (kind === 1) fillText(buf, rng, pos, pos + take);
        else fillLowEntropy(buf, ks, pos, pos + take);
        pos += take;
        runLeft -= take;
      }
      writeSync(fd, buf, 0, n);
      written += n;
    }
  } finally {
    closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------------
// The corpus on disk

export interface CorpusFile {
  /** Path relative to the corpus root, with forward slashes. */
  key: string;
  kind: 'mime' | 'stream';
  size: number;
}

export interface Corpus {
  root: string;
  seed: string;
  scale: CorpusScale;
  files: CorpusFile[];
  bytes: number;
}

const mailKey = (i: number) => `mail/${String(i).padStart(6, '0')}.eml`;

/** Writes the first-pass corpus under `root` (which must not exist or be empty). */
export function writeCorpus(
  root: string,
  scale: CorpusScale,
  seed: string,
  log: (s: string) => void,
): Corpus {
  rmSync(root, { recursive: true, force: true });
  mkdirSync(path.join(root, 'mail'), { recursive: true });
  mkdirSync(path.join(root, 'files'), { recursive: true });
  const pool = sharedPool(scale.messages, seed);
  const files: CorpusFile[] = [];
  for (let i = 0; i < scale.messages; i++) {
    const m = renderMessage(i, 0, seed, pool);
    writeFileSync(path.join(root, mailKey(i)), m);
    files.push({ key: mailKey(i), kind: 'mime', size: m.length });
    if (i % 1000 === 999) log(`corpus: ${i + 1}/${scale.messages} messages`);
  }
  scale.filesMiB.forEach((mib, k) => {
    const key = `files/large-${k}.bin`;
    writeLargeFile(path.join(root, key), mib * MiB, `${seed}/large/${k}`);
    files.push({ key, kind: 'stream', size: mib * MiB });
    log(`corpus: ${key} (${mib} MiB)`);
  });
  files.sort((a, b) => (a.key < b.key ? -1 : 1));
  return { root, seed, scale, files, bytes: files.reduce((s, f) => s + f.size, 0) };
}

export interface Mutation {
  /** The corpus after the change (all files). */
  after: Corpus;
  /** Files new or changed by it. */
  changed: CorpusFile[];
  /** Puts the corpus back as it was before the change (for the next run). */
  undo: () => void;
}

/**
 * The second pass: 5% of messages get new headers, 5% new messages arrive (10% in all), and each
 * large file gets 16 scattered overwrites of 4–64 KiB.
 */
export function mutateCorpus(corpus: Corpus): Mutation {
  const { root, seed, scale } = corpus;
  const rng = new Prng(`${seed}/mutation`);
  const pool = sharedPool(scale.messages, seed);
  const count = Math.max(1, Math.round(scale.messages * 0.05));
  const changed: CorpusFile[] = [];
  const touched = new Set<number>();
  while (touched.size < count) touched.add(rng.int(0, scale.messages));
  for (const i of touched) {
    const m = renderMessage(i, 1, seed, pool);
    writeFileSync(path.join(root, mailKey(i)), m);
    changed.push({ key: mailKey(i), kind: 'mime', size: m.length });
  }
  for (let i = scale.messages; i < scale.messages + count; i++) {
    const m = renderMessage(i, 0, seed, pool);
    writeFileSync(path.join(root, mailKey(i)), m);
    changed.push({ key: mailKey(i), kind: 'mime', size: m.length });
  }
  const restore: { key: string; at: number; bytes: Buffer }[] = [];
  for (const f of corpus.files.filter((x) => x.kind === 'stream')) {
    const fd = openSync(path.join(root, f.key), 'r+');
    try {
      for (let e = 0; e < 16; e++) {
        const len = rng.int(4096, 65536);
        const at = rng.int(0, f.size - len);
        const old = Buffer.alloc(len);
        readSync(fd, old, 0, len, at);
        restore.push({ key: f.key, at, bytes: old });
        writeSync(fd, randomBytesOf(`${seed}/edit/${f.key}/${e}`, len), 0, len, at);
      }
    } finally {
      closeSync(fd);
    }
    changed.push(f);
  }
  const byKey = new Map(corpus.files.map((f) => [f.key, f]));
  for (const c of changed) byKey.set(c.key, c);
  const files = [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
  changed.sort((a, b) => (a.key < b.key ? -1 : 1));
  return {
    after: { ...corpus, files, bytes: files.reduce((s, f) => s + f.size, 0) },
    changed,
    undo: () => {
      for (const i of touched) writeFileSync(path.join(root, mailKey(i)), renderMessage(i, 0, seed, pool));
      for (let i = scale.messages; i < scale.messages + count; i++)
        rmSync(path.join(root, mailKey(i)), { force: true });
      for (const r of restore.reverse()) {
        const fd = openSync(path.join(root, r.key), 'r+');
        writeSync(fd, r.bytes, 0, r.bytes.length, r.at);
        closeSync(fd);
      }
    },
  };
}

/** Checks that a file on disk has the size the corpus says (cheap sanity check before timing). */
export function checkCorpus(corpus: Corpus): void {
  for (const f of corpus.files) {
    const size = statSync(path.join(corpus.root, f.key)).size;
    if (size !== f.size) throw new Error(`corpus file ${f.key} is ${size} bytes, expected ${f.size}`);
  }
}
