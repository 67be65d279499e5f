import { createHash } from 'node:crypto';
import { SEAL_OVERHEAD, seal, unseal, type MasterKeys } from './crypto.js';
import { IntegrityError } from './errors.js';
import type { BlobType, SealedBlob } from './blob.js';
import type { BlobStore } from './store/types.js';

const HEADER_AAD = Buffer.from('safehold-pack-header-v1');
const MAGIC = Buffer.from('SHPK');
const VERSION = 1;
const ENTRY = 45;
/** header length (4) ‖ magic (4) ‖ version (1) */
export const PACK_TRAILER = 9;

/** One blob's place in a pack. */
export interface PackEntry {
  type: BlobType;
  id: Buffer;
  offset: number;
  length: number;
  rawLength: number;
}

export const packPath = (packId: string) => `data/${packId.slice(0, 2)}/${packId}`;

/** Collects sealed blobs until the pack is big enough, then lays it out (see the format doc). */
export class PackBuilder {
  private readonly parts: Buffer[] = [];
  private bytes = 0;
  readonly entries: PackEntry[] = [];

  get size(): number {
    return this.bytes;
  }

  get count(): number {
    return this.entries.length;
  }

  add(blob: SealedBlob): void {
    this.entries.push({
      type: blob.type,
      id: blob.id,
      offset: this.bytes,
      length: blob.sealed.length,
      rawLength: blob.rawLength,
    });
    this.parts.push(blob.sealed);
    this.bytes += blob.sealed.length;
  }

  /**
   * The finished pack: its pieces in order (blobs, sealed header, trailer — written as they are,
   * never concatenated, so a pack is in memory once), size, id (SHA-256 of the bytes), entries.
   */
  finish(keys: MasterKeys): { id: string; parts: Buffer[]; size: number; entries: PackEntry[] } {
    const header = Buffer.allocUnsafe(this.entries.length * ENTRY);
    this.entries.forEach((e, i) => {
      const at = i * ENTRY;
      header[at] = e.type;
      e.id.copy(header, at + 1);
      header.writeUInt32LE(e.offset, at + 33);
      header.writeUInt32LE(e.length, at + 37);
      header.writeUInt32LE(e.rawLength, at + 41);
    });
    const sealedHeader = seal(keys.encrypt, header, HEADER_AAD);
    const trailer = Buffer.allocUnsafe(PACK_TRAILER);
    trailer.writeUInt32LE(sealedHeader.length, 0);
    MAGIC.copy(trailer, 4);
    trailer[8] = VERSION;
    const parts = [...this.parts, sealedHeader, trailer];
    const hash = createHash('sha256');
    for (const part of parts) hash.update(part);
    const size = this.bytes + sealedHeader.length + PACK_TRAILER;
    return { id: hash.digest('hex'), parts, size, entries: this.entries };
  }
}

/** Parses a decrypted pack header. */
function parseHeader(header: Buffer, packSize: number, file: string): PackEntry[] {
  if (header.length % ENTRY !== 0)
    throw new IntegrityError(`pack header of ${header.length} bytes is not a whole number of entries`, file);
  const entries: PackEntry[] = [];
  for (let at = 0; at < header.length; at += ENTRY) {
    const type = header[at] as BlobType;
    const e: PackEntry = {
      type,
      id: Buffer.from(header.subarray(at + 1, at + 33)),
      offset: header.readUInt32LE(at + 33),
      length: header.readUInt32LE(at + 37),
      rawLength: header.readUInt32LE(at + 41),
    };
    if ((type !== 0 && type !== 1) || e.offset + e.length > packSize || e.length < SEAL_OVERHEAD) {
      throw new IntegrityError(`pack header entry ${at / ENTRY} is out of range`, file);
    }
    entries.push(e);
  }
  return entries;
}

/** Reads and verifies a pack's header from the store (two small ranged reads). */
export async function readPackHeader(
  store: BlobStore,
  keys: MasterKeys,
  packId: string,
): Promise<PackEntry[]> {
  const file = packPath(packId);
  const stat = await store.stat(file);
  if (!stat) throw new IntegrityError(`pack ${packId} does not exist`, file);
  if (stat.size < PACK_TRAILER)
    throw new IntegrityError(`pack ${packId} is truncated (${stat.size} bytes)`, file);
  const trailer = await store.get(file, stat.size - PACK_TRAILER, PACK_TRAILER);
  if (!trailer.subarray(4, 8).equals(MAGIC) || trailer[8] !== VERSION)
    throw new IntegrityError(`pack ${packId} has no valid trailer (truncated or not a pack)`, file);
  const headerLength = trailer.readUInt32LE(0);
  if (headerLength + PACK_TRAILER > stat.size)
    throw new IntegrityError(`pack ${packId}: header length ${headerLength} exceeds the file`, file);
  const sealed = await store.get(file, stat.size - PACK_TRAILER - headerLength, headerLength);
  return parseHeader(
    unseal(keys.encrypt, sealed, HEADER_AAD, `header of pack ${packId}`, file),
    stat.size - PACK_TRAILER - headerLength,
    file,
  );
}

/** Parses a whole pack held in memory (check --read-data): entries and their sealed bytes. */
export function parsePack(keys: MasterKeys, packId: string, bytes: Buffer): PackEntry[] {
  const file = packPath(packId);
  if (bytes.length < PACK_TRAILER) throw new IntegrityError(`pack ${packId} is truncated`, file);
  const t = bytes.subarray(bytes.length - PACK_TRAILER);
  if (!t.subarray(4, 8).equals(MAGIC) || t[8] !== VERSION)
    throw new IntegrityError(`pack ${packId} has no valid trailer`, file);
  const headerLength = t.readUInt32LE(0);
  const headerStart = bytes.length - PACK_TRAILER - headerLength;
  if (headerStart < 0) throw new IntegrityError(`pack ${packId}: header length exceeds the file`, file);
  const header = unseal(
    keys.encrypt,
    bytes.subarray(headerStart, headerStart + headerLength),
    HEADER_AAD,
    `header of pack ${packId}`,
    file,
  );
  return parseHeader(header, headerStart, file);
}
