import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FolderStore, Repository } from '../src/repository/index.js';
import { codeReport, sourceFingerprint } from './repository-child.js';
import { PASSPHRASE } from './repository-jobs.js';
import { Prng, randomBytesOf, textOf } from './repository-bytes.js';
import { messageHeaders, wrapBase64 } from './repository-corpus.js';
import { dirBytes, requireRestic, resticBackup, resticInit } from './repository-restic.js';

/**
 * Single-instancing: one 5 MiB attachment (random bytes, so compression cannot help) inside 100
 * different messages — different headers, recipients, bodies, file names, and as mail carries it
 * (base64 at 76 columns with CRLF mostly, some LF-only, some 72 columns). Stored through putMime,
 * then every message read back and compared byte for byte. restic stores the same 100 .eml files
 * for contrast.
 *   npm run bench -- repository-mime [--size <attachment bytes>]
 */

const MiB = 1024 * 1024;
const TARGET = 1.1;
const log = (s: string) => process.stderr.write(`[mime] ${s}\n`);

function message(i: number, attachment: Buffer): Buffer {
  const rng = new Prng(`single-instance/${i}`);
  const eol = i % 10 === 3 ? '\n' : '\r\n';
  const width = i % 10 === 7 ? 72 : 76;
  const boundary = `b_${i}_${rng.int(0, 1e9)}`;
  const body = textOf(rng, rng.logUniform(200, 20_000)).toString('latin1');
  const name = `${['Quarterly report', 'Contract', 'Scan', 'Invoice'][i % 4]} ${i}.pdf`;
  const text = [
    messageHeaders(rng, i, 0, `multipart/mixed; boundary="${boundary}"`).slice(0, -2),
    `--${boundary}`,
    'Content-Type: text/plain; charset="utf-8"',
    '',
    body,
    `--${boundary}`,
    `Content-Type: application/pdf; name="${name}"`,
    `Content-Disposition: attachment; filename="${name}"`,
    'Content-Transfer-Encoding: base64',
    '',
    wrapBase64(attachment, width, eol),
    `--${boundary}--`,
    '',
  ].join('\r\n');
  return Buffer.from(eol === '\n' ? text.replace(/\r\n/g, '\n') : text, 'latin1');
}

export default async function repositoryMime(
  args: Record<string, string | undefined>,
): Promise<Record<string, unknown>> {
  const resticVersion = requireRestic();
  const sourceAtStart = sourceFingerprint();
  const attachmentBytes = Number(args['size'] ?? 5 * MiB);
  const count = 100;
  const base = args['work-dir'] ?? os.tmpdir();
  mkdirSync(base, { recursive: true });
  const work = mkdtempSync(path.join(base, 'safehold-bench-mime-'));
  try {
    const attachment = randomBytesOf('single-instance/attachment', attachmentBytes);
    const messages = Array.from({ length: count }, (_, i) => message(i, attachment));
    const messageBytes = messages.reduce((s, m) => s + m.length, 0);

    const repoDir = path.join(work, 'safehold-repo');
    const repo = await Repository.init(new FolderStore(repoDir), PASSPHRASE, {
      cacheDir: path.join(work, 'safehold-cache'),
    });
    const session = await repo.session();
    const started = performance.now();
    const refs = [];
    for (const m of messages) refs.push(await session.putMime(m));
    await session.writeManifest(
      'safehold.bench.mime.v1',
      {},
      refs.map((ref, i) => ({ key: `msg-${i}`, refs: [ref] })),
    );
    await session.close();
    const seconds = (performance.now() - started) / 1000;
    const stored = dirBytes(repoDir);
    const packBytes = dirBytes(path.join(repoDir, 'data'));
    log(`stored ${stored} bytes for ${count} messages; verifying`);

    let exact = 0;
    const mismatched: number[] = [];
    for (const [i, ref] of refs.entries()) {
      const parts: Buffer[] = [];
      for await (const c of repo.readObject(ref)) parts.push(c as Buffer);
      if (Buffer.concat(parts).equals(messages[i]!)) exact++;
      else mismatched.push(i);
    }
    const segmented = refs.filter((r) => 'm' in r).length;
    repo.close();

    const mailDir = path.join(work, 'mail');
    mkdirSync(mailDir);
    messages.forEach((m, i) => writeFileSync(path.join(mailDir, `${String(i).padStart(3, '0')}.eml`), m));
    const rs = { repo: path.join(work, 'restic-repo'), cache: path.join(work, 'restic-cache') };
    await resticInit(rs);
    const backup = await resticBackup(rs, mailDir);
    const resticStored = dirBytes(rs.repo);

    const ratio = stored / attachmentBytes;
    return {
      code: codeReport(sourceAtStart, 'src/repository in the benchmark process, under tsx'),
      messages: count,
      attachmentBytes,
      messageBytes,
      layouts: { 'crlf-76': 80, 'lf-76': 10, 'crlf-72': 10 },
      safehold: {
        storedBytes: stored,
        packBytes,
        storedToAttachment: Number(ratio.toFixed(3)),
        target: TARGET,
        withinTarget: ratio <= TARGET,
        messagesSegmented: segmented,
        readBackExact: exact,
        mismatched,
        seconds: Number(seconds.toFixed(2)),
      },
      restic: {
        version: resticVersion,
        storedBytes: resticStored,
        storedToAttachment: Number((resticStored / attachmentBytes).toFixed(3)),
        dataAdded: backup.summary['data_added'],
        seconds: Number(backup.seconds.toFixed(2)),
      },
      ok: ratio <= TARGET && exact === count,
    };
  } finally {
    if (args['keep'] === undefined) rmSync(work, { recursive: true, force: true });
    else log(`kept ${work}`);
  }
}
