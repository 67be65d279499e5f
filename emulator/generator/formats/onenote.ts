import type { Random } from '../random.js';

/**
 * NOT A REAL ONENOTE FILE. Real .one sections use the [MS-ONESTORE] revision-store format
 * (file node lists, transactions, object spaces), which the emulator does not implement. This
 * produces a file that is only *shaped* like a .one section: the genuine 1024-byte header
 * prefix (file-type GUID, a file GUID, the file-format GUID and the .one version numbers),
 * followed by deterministic pseudo-random bytes with the title embedded in UTF-16LE. That is
 * enough for code that sniffs the type, stores, hashes and restores bytes, but OneNote itself
 * would refuse to open it. (Listed as a guess in docs/emulator.md.)
 */

/** guidFileType of a .one section ([MS-ONESTORE] 2.3.1). */
export const ONE_FILE_TYPE_GUID = '7B5C52E4-D88C-4DA7-AEB1-5378D02996D3';
/** guidFileFormat shared by .one and .onetoc2 files. */
const ONE_FILE_FORMAT_GUID = '109ADD3F-911B-49F5-A5D0-1791EDC8AED8';
/** ffv* version fields hold 0x2A for .one files. */
const ONE_FILE_VERSION = 0x2a;
const HEADER_SIZE = 1024;

/** A GUID in its on-disk form: first three groups little-endian, last two as written. */
export function guidToBytesLE(guid: string): Buffer {
  const hex = guid.replace(/[{}-]/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`Invalid GUID ${guid}`);
  const out = Buffer.from(hex, 'hex');
  out.subarray(0, 4).reverse();
  out.subarray(4, 6).reverse();
  out.subarray(6, 8).reverse();
  return out;
}

export function buildOneNoteSection(random: Random, title: string): Buffer {
  const header = Buffer.alloc(HEADER_SIZE);
  guidToBytesLE(ONE_FILE_TYPE_GUID).copy(header, 0);
  guidToBytesLE(random.guid()).copy(header, 16); // guidFile
  // Bytes 32..47 are guidLegacyFileVersion, which must be all zero.
  guidToBytesLE(ONE_FILE_FORMAT_GUID).copy(header, 48);
  for (let i = 0; i < 4; i++) header.writeUInt32LE(ONE_FILE_VERSION, 64 + i * 4);

  const titleBytes = Buffer.from(title, 'utf16le');
  const before = random.bytes(random.int(1, 8) * 512);
  const after = random.bytes(random.int(2, 24) * 512);
  return Buffer.concat([header, before, titleBytes, Buffer.alloc(2), after]);
}
