import { badRequest } from '../../core/odata.js';
import type { FollowupFlag } from './records.js';

/**
 * EMULATOR-SPECIFIC stand-in for the FastTransfer stream (MS-OXCFXICS) that the real
 * `exportItems` returns in `data`. The emulator cannot produce a real FastTransfer stream, so
 * `data` is this format instead; clients must treat it as opaque, and the emulator's import
 * accepts it back byte-for-byte:
 *
 *   bytes 0..7   ASCII "EMUFTS01"
 *   bytes 8..11  uint32 big-endian length N of the properties block
 *   next N bytes UTF-8 JSON object of item properties (ItemProperties below)
 *   rest         the item's RFC 5322 MIME, exactly as `$value` serves it
 */

const MAGIC = Buffer.from('EMUFTS01', 'ascii');

export interface ItemProperties {
  format: 'safehold-emulator-item/1';
  messageClass: string;
  isRead: boolean;
  isDraft: boolean;
  flag: FollowupFlag;
  categories: string[];
  importance: 'low' | 'normal' | 'high';
  inferenceClassification: 'focused' | 'other';
  receivedDateTime: string;
  sentDateTime: string | null;
  createdDateTime: string;
  lastModifiedDateTime: string;
}

export function encodeExport(props: ItemProperties, mime: Buffer): Buffer {
  const json = Buffer.from(JSON.stringify(props), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(json.length, 0);
  return Buffer.concat([MAGIC, len, json, mime]);
}

export function decodeExport(data: Buffer): { props: ItemProperties; mime: Buffer } {
  const bad = () =>
    badRequest('The Data is not an export stream this service can import.', 'ErrorInvalidRequest');
  if (data.length < 12 || !data.subarray(0, 8).equals(MAGIC)) throw bad();
  const n = data.readUInt32BE(8);
  if (12 + n > data.length) throw bad();
  let props: ItemProperties;
  try {
    props = JSON.parse(data.subarray(12, 12 + n).toString('utf8')) as ItemProperties;
  } catch {
    throw bad();
  }
  if (props?.format !== 'safehold-emulator-item/1' || typeof props.receivedDateTime !== 'string') throw bad();
  return { props, mime: data.subarray(12 + n) };
}
