import type {
  CheckReport,
  KeyInfo,
  PruneReport,
  RepoConfig,
  RepositoryStats,
} from '../../repository/index.js';

/** Human renderings of the `safehold repo` results (the --json documents are the results themselves). */

export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

const short = (id: string) => id.slice(0, 12);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export interface InfoResult {
  id: string;
  location: string;
  config: RepoConfig;
  keys: number;
  currentKey: Omit<KeyInfo, 'current'> | undefined;
}

export function renderInfo(r: InfoResult): string {
  const c = r.config;
  return [
    `Repository ${r.id}`,
    `  location:     ${r.location}`,
    `  created:      ${c.created}`,
    `  format:       version ${c.version}; ${c.encryption}, ${c.compression}, content ids ${c.contentId}, kdf ${c.kdf}`,
    `  chunker:      ${c.chunker.algorithm} ${bytes(c.chunker.minSize)} / ${bytes(c.chunker.avgSize)} / ${bytes(c.chunker.maxSize)} (min / average / max)`,
    `  pack size:    ${bytes(c.packSize.target)} target, ${bytes(c.packSize.max)} max`,
    `  keys:         ${r.keys}${r.currentKey ? ` (opened with ${short(r.currentKey.id)} "${r.currentKey.name}")` : ''}`,
  ].join('\n');
}

export function renderStats(s: RepositoryStats): string {
  const ratio = s.storedBytes > 0 ? ` (${(s.rawBytes / s.storedBytes).toFixed(2)}× compression)` : '';
  return [
    `Repository ${s.id} (${s.location})`,
    `  restore points: ${s.manifests}`,
    `  index files:    ${s.indexFiles}`,
    `  packs:          ${s.packs}, ${bytes(s.packBytes)}`,
    `  live blobs:     ${s.blobs}: ${bytes(s.rawBytes)} of content stored in ${bytes(s.storedBytes)}${ratio}`,
    `  tombstoned:     ${plural(s.tombstonedBlobs, 'blob')}, ${bytes(s.tombstonedBytes)} (freed by a later prune)`,
  ].join('\n');
}

export function renderCheck(r: CheckReport, readData: boolean): string {
  const s = r.stats;
  const lines = [
    `Checked ${plural(s.indexFiles, 'index file')}, ${plural(s.packs, 'pack')}, ${plural(s.manifests, 'manifest')} (${plural(s.records, 'record')})` +
      (readData ? `; read ${plural(s.packsRead, 'pack')}, ${plural(s.blobsRead, 'blob')}` : '') +
      '.',
  ];
  if (r.ok) {
    lines.push(
      readData ? 'No problems found.' : 'No problems found (add --read-data to verify the data itself).',
    );
    return lines.join('\n');
  }
  lines.push(`${plural(r.problems.length, 'problem')}:`);
  for (const p of r.problems) {
    const blobs = p.blobs?.length
      ? ` [${plural(p.blobs.length, 'blob')}: ${p.blobs.slice(0, 3).map(short).join(', ')}${p.blobs.length > 3 ? ', …' : ''}]`
      : '';
    lines.push(`  ${p.kind}${p.file ? ` ${p.file}` : ''}: ${p.message}${blobs}`);
  }
  if (r.affected.length) {
    lines.push(`Affected restore points (${r.affected.length}):`);
    for (const a of r.affected) {
      const meta = Object.keys(a.meta).length ? ` ${JSON.stringify(a.meta)}` : '';
      lines.push(
        `  manifest ${a.manifest} (${a.created})${meta}: ${plural(a.records.length, 'record')} broken`,
      );
      for (const rec of a.records.slice(0, 20)) lines.push(`    ${rec}`);
      if (a.records.length > 20) lines.push(`    … and ${a.records.length - 20} more (see --json)`);
    }
  } else {
    lines.push('No restore point references the damaged data.');
  }
  return lines.join('\n');
}

export function renderPrune(r: PruneReport): string {
  const would = r.dryRun ? 'would be ' : '';
  const lines = [
    r.dryRun ? 'Prune, dry run: nothing was changed.' : 'Prune done.',
    `  live blobs:        ${r.liveBlobs}`,
    `  newly tombstoned:  ${r.newTombstones} unreferenced blobs ${would}marked as garbage`,
    `  revived:           ${r.revived} tombstoned blobs a newer restore point needs again`,
    `  repacked packs:    ${r.repackedPacks}`,
    `  deleted packs:     ${r.deletedPacks} ${would}deleted (${r.orphanPacks} orphans), ${bytes(r.deletedBytes)}`,
    ...(r.dryRun
      ? []
      : [`  index files:       ${r.indexFilesWritten} written, ${r.indexFilesDeleted} deleted`]),
    `  Data written or tombstoned after ${r.cutoff} is left alone (safety window` +
      (r.liveSessions ? `, ${plural(r.liveSessions, 'running session')})` : ')') +
      '; a later prune frees it.',
  ];
  if (r.damagedPacks.length)
    lines.push(
      `${plural(r.damagedPacks.length, 'pack')} could not be repacked because they are damaged; run 'safehold repo check --read-data':`,
      ...r.damagedPacks.map((p) => `  ${p}`),
    );
  return lines.join('\n');
}

export function renderKeys(keys: KeyInfo[]): string {
  const rows = keys.map((k) => [k.current ? '*' : ' ', short(k.id), k.name, k.host, k.created]);
  const head = [' ', 'ID', 'NAME', 'HOST', 'CREATED'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line), '(* the key this command was opened with)'].join('\n');
}
